#!/usr/bin/env bash
# The side-by-side read benchmark (`make bench-read`, README "Side by side with PostGraphile
# and graphene"): ../shared/bench with the product slot filled by this checkout.
#
#   BENCH_SRC          the bench folder to copy (default: ../shared/bench next to the repository)
#   BENCH_DIR          where it runs (default /tmp/bench; copied from BENCH_SRC when missing;
#                      it writes .venv, node_modules, logs and results-<date>.json there)
#   BENCH_DB           the peers' database (default bench; loaded by `make data` when missing)
#   BENCH_PRODUCT_DB   the product's database (default: the one product/start.sh names)
#   BENCH_PRODUCT_START  how the product is started (default scripts/bench_product.sh: the
#                      bench's product/start.sh with the gthread workers the image deploys;
#                      product/start.sh runs the sync workers of earlier versions)
# Arguments go to run.py, e.g. `--servers product --ops 4_location_by_uuid` (the floor
# always runs; `--quick` for a smoke test). The peers' servers take ports 5678 and 8001,
# the product the port of config.toml's [servers.product] url (8002).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=${BENCH_SRC:-$root/../shared/bench}
dir=${BENCH_DIR:-/tmp/bench}
PG=postgres://postgres@127.0.0.1:5432
if [ ! -d "$dir" ]; then
  cp -r "$src" "$dir"
  chmod -R u+w "$dir"
fi
cd "$dir"
[ -x .venv/bin/python ] && [ -d node_modules ] || make setup
src_db=${BENCH_DB:-bench}
if ! psql -tAq "$PG/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$src_db'" | grep -q 1; then
  make data
fi
db=${BENCH_PRODUCT_DB:-$(grep -o '5432/[a-z_0-9]*' product/start.sh | head -1 | cut -d/ -f2)}
export BENCH_PRODUCT_DIR=$root BENCH_PRODUCT_PY=$root/.venv/bin/python BENCH_PRODUCT_DB=$db
export BENCH_PRODUCT_START=${BENCH_PRODUCT_START:-$root/scripts/bench_product.sh}

# The product slot (what the bench's product/setup.sh does, plus the materialised paths
# the bench's tables lack and the legacy audit ids moved to their own column): a database built by the product's migrations holding the
# peers' rows, and a read-scoped OAuth2 token of a superuser in product/.token.
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
(
  cd "$root"
  export DATABASE_URL=$PG/$db DEBUG=false SECRET_KEY=bench-only LOG_LEVEL=WARNING
  "$BENCH_PRODUCT_PY" manage.py migrate --noinput -v 0 2>/dev/null
  psql -q "$PG/$db" -c "ALTER TABLE location_location ALTER COLUMN path SET DEFAULT ''"
  # the bench's audit_user_id holds legacy ids: the product keeps them apart from its
  # own users (legacy_audit_user_id; audit_user_id is a user of this installation)
  pg_dump --data-only -t location_location -t payer_payer "$PG/$src_db" 2>/dev/null |
    sed '/^COPY /s/\baudit_user_id\b/legacy_audit_user_id/' |
    psql -q -v ON_ERROR_STOP=1 "$PG/$db" >/dev/null
  psql -q "$PG/$db" -c "ALTER TABLE location_location ALTER COLUMN path DROP DEFAULT"
  "$BENCH_PRODUCT_PY" manage.py shell -v 0 -c "
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from modules.location.models import rebuild_paths
rebuild_paths()
u, _ = get_user_model().objects.get_or_create(username='bench', defaults={'is_superuser': True, 'is_staff': True})
app, _ = Application.objects.get_or_create(name='bench', defaults=dict(user=u, client_type='confidential', authorization_grant_type='client-credentials'))
t = AccessToken.objects.create(user=u, application=app, token='bench-token-0123456789', scope='read', expires=timezone.now() + timedelta(days=1))
print(t.token)" 2>/dev/null | tail -1 >"$dir/product/.token"
  for table in location_location payer_payer; do
    psql -q "$PG/$db" -c "SELECT setval(pg_get_serial_sequence('$table', 'id'), (SELECT max(id) FROM $table))" >/dev/null
  done
  psql -q "$PG/$db" -c "VACUUM ANALYZE"
)
echo "product database $db: $(psql -tAq "$PG/$db" -c 'SELECT count(*) FROM location_location') locations," \
  "$(psql -tAq "$PG/$db" -c 'SELECT count(*) FROM payer_payer') payers"
.venv/bin/python run.py "$@"
