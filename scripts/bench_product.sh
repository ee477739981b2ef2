#!/usr/bin/env bash
# The product slot's server for `make bench-read` (scripts/bench_read.sh passes it to the
# bench as BENCH_PRODUCT_START): the bench's product/start.sh, with the workers
# docker/entrypoint.sh deploys (gthread: keep-alive connections, GUNICORN_THREADS
# threads each) instead of its sync ones.
set -euo pipefail
cd "${BENCH_PRODUCT_DIR:?}"
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/${BENCH_PRODUCT_DB:-bench_product} DEBUG=false SECRET_KEY=bench-only ALLOWED_HOSTS=127.0.0.1,localhost LOG_LEVEL=WARNING
# op 2 (a region's 1,453-node subtree) is refused by the default node estimate (842,201 > 100,000)
export GRAPHQL_MAX_NODES=2000000
exec "$(dirname "${BENCH_PRODUCT_PY:?}")/gunicorn" -w 2 -k gthread --threads "${GUNICORN_THREADS:-4}" \
  -b 127.0.0.1:8002 --no-control-socket --graceful-timeout 5 --log-level warning backend.wsgi:application
