#!/usr/bin/env bash
# Container entrypoint of the openIMIS GraphQL backend image.
#
#   serve (the image's CMD)  apply migrations, optionally load the demo data, then exec
#                            gunicorn on 0.0.0.0:8000 (gunicorn becomes PID 1 and gets
#                            the container's signals).
#   anything else            run as given, e.g.
#                            docker compose run --rm backend python manage.py createsuperuser
#
# Environment (besides the Django settings read by backend/settings/):
#   GUNICORN_WORKERS   number of gunicorn worker processes (default 2)
#   GUNICORN_THREADS   threads per worker (default 4): gthread workers keep a client's
#                      connection open between its requests (HTTP keep-alive), so an API
#                      client or a proxy does not open a TCP connection per request
#   GUNICORN_CMD_ARGS  extra gunicorn options, read by gunicorn itself (e.g. "--timeout 60")
#   LOAD_DEMO_DATA     1 = load the Cambodian location hierarchy and generate demo payers
#                      before serving; run on every start with it set, which is safe:
#                      both commands skip what is already there
#   PROMETHEUS_MULTIPROC_DIR  where the gunicorn workers share their metrics, so that
#                      /metrics counts all of them (default /dev/shm/metrics; created
#                      before any command, emptied when serving starts)
set -euo pipefail

# manage.py sits one level above this script (/app in the image).
cd "$(dirname "$0")/.."

# Metrics of all workers in one place (prometheus_client's multiprocess mode), prepared
# before anything Python runs: with PROMETHEUS_MULTIPROC_DIR set, every process that
# imports prometheus_client (manage.py migrate too) writes its counter_<pid>.db there, and
# a missing folder is a FileNotFoundError. Serving, it is set (default below) and starts
# fresh (emptied); another command, when it is set, only makes sure it exists.
if [ "${1:-serve}" = "serve" ]; then
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/dev/shm/metrics}"
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
fi
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

if [ "${1:-serve}" != "serve" ]; then
    exec "$@"
fi

echo "entrypoint: applying migrations" >&2
python manage.py migrate --noinput

if [ "${LOAD_DEMO_DATA:-0}" = "1" ]; then
    echo "entrypoint: loading demo data (LOAD_DEMO_DATA=1)" >&2
    python manage.py load_cambodia
    python manage.py generate_payers
fi

# --worker-tmp-dir /dev/shm: worker heartbeat files on tmpfs, not on the overlay
# filesystem (which can stall them and get workers killed as timed out).
# --no-control-socket: the runtime control socket would go to $HOME/.gunicorn, and /app
# is read-only for the unprivileged user; scale by changing GUNICORN_WORKERS instead.
echo "entrypoint: starting gunicorn with ${GUNICORN_WORKERS:-2} worker(s) of ${GUNICORN_THREADS:-4} thread(s)" >&2
# backend/gunicorn_config.py: gunicorn's own lines in LOG_FORMAT (JSON), and what a worker
# would refuse to start with (a bad setting, DEBUG=false without SECRET_KEY) refused once,
# on one line, before any worker starts.
exec gunicorn backend.wsgi:application \
    --config python:backend.gunicorn_config \
    --bind 0.0.0.0:8000 \
    --workers "${GUNICORN_WORKERS:-2}" \
    --worker-class gthread \
    --threads "${GUNICORN_THREADS:-4}" \
    --worker-tmp-dir /dev/shm \
    --no-control-socket \
    --error-logfile -
# (No gunicorn access log: backend/gunicorn_config.py turns it off (logger_class), and the
# application logs every request as JSON, with its request id, status and user, secret
# query parameters redacted; see LOG_FORMAT.)
