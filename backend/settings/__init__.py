"""Django settings, read from the environment (12-factor) through django-environ.

Every setting has a safe local default, so that with nothing set the project runs on an
embedded SQLite file (``db.sqlite3`` in the repository root). Variables:

``DATABASE_URL``
    Database URL, e.g. ``postgres://postgres@127.0.0.1:5432/openimis``.
    Default: ``sqlite:///<repo>/db.sqlite3``. PostgreSQL goes through psycopg 3 with
    Django's built-in connection pool (``DATABASE_POOL``, default on).
``DEBUG``
    ``true``/``false``, default ``false``. In debug mode errors are not masked.
    Every boolean takes ``true``, ``yes``, ``y``, ``on``, ``ok``, ``1`` or ``false``,
    ``no``, ``n``, ``off``, ``0`` (:mod:`backend.environment` refuses anything else).
``SECRET_KEY``
    Required as soon as ``ALLOWED_HOSTS`` names a non-local host (debug mode or not,
    by every management command too: README, "Configuration"); a ``DEBUG=false``
    server (``backend.wsgi``) refuses to start without it. Empty is refused.
``BEHIND_TLS_PROXY``
    ``true`` when a TLS-terminating proxy serves the site over HTTPS and sets
    ``X-Forwarded-Proto``: HTTPS redirect, HSTS (``SECURE_HSTS_SECONDS``, default one
    year), Secure cookies. Default ``false``. README, "Production behind a TLS proxy".
``DATABASE_STATEMENT_TIMEOUT`` / ``DATABASE_LOCK_TIMEOUT``
    PostgreSQL ``statement_timeout`` and ``lock_timeout`` in milliseconds (default
    15000 and 5000; 0 turns one off): a request never waits on the database longer than
    the worker lives. The long management commands run without the statement timeout
    (``backend/management/long_command.py``).
``DATABASE_DOWN_RETRY_SECONDS``
    PostgreSQL with the pool: requests waiting for a connection answer 503 as soon as a
    connection attempt fails; for this many seconds after (default 2, at most 60) requests
    answer 503 at once, then one at a time per process attempts a connection (README,
    "The database down"). 0: each waits up to ``DATABASE_POOL_TIMEOUT``.
``DATABASE_BUSY_TIMEOUT``
    SQLite only: how long (ms, default 5000) a write waits for another connection's
    write to finish before failing with a retryable 503; transactions begin
    ``IMMEDIATE``. 0 fails at once.
``ALLOWED_HOSTS``
    Comma-separated host names. Default: ``localhost,127.0.0.1,[::1]``.
``OPENIMIS_MODULES``
    Comma-separated active modules, in order (like openIMIS' module list).
    Default: ``location,payer``. Each name is a package under ``modules/``.
``GRAPHQL_DEFAULT_PAGE_SIZE`` / ``GRAPHQL_MAX_PAGE_SIZE``
    Connection page size when ``first``/``last`` is not given (default 100) and the
    largest ``first``/``last`` accepted (default 1000). A larger request is an error.
    FHIR's ``_count`` and JSON:API's ``page[size]`` follow the same two settings.
``AUTH_CACHE_SECONDS``
    How long a checked bearer token (its user and scopes) and a user's permissions are
    reused, default 10; 0 turns the cache off. Revocations made elsewhere take effect
    within it (:mod:`backend.auth_cache`).
``FHIR_VALIDATE_RESPONSES``
    ``true``/``false``, default ``true``: validate every FHIR resource served with
    fhir.resources.

Operations (section "Operations" below, README "Operations"): ``DATABASE_PASSWORD``,
``CORS_ALLOWED_ORIGINS``, ``LOG_FORMAT``, ``LOG_LEVEL``, ``METRICS_ALLOWED_NETWORKS``,
``GRAPHQL_TRACING``.

Secrets from files: every variable can instead be given as ``<NAME>_FILE``, the path of
a file holding the value (Docker secrets: ``SECRET_KEY_FILE=/run/secrets/secret_key``),
for every setting below: django-environ's ``FileAwareEnv`` reads the file; a final line
break is dropped (as ``echo`` and ``print`` write one; the postgres image drops it too).
Setting both ``<NAME>`` and ``<NAME>_FILE`` is an error, as is a file that cannot be read.
So is a value its setting cannot take (an integer setting set to ``abc``), or a number
outside the setting's range (declared where it is read: ``env.int("GRAPHQL_MAX_DEPTH",
default=12, minimum=1)``; README, "Configuration"): the reader,
:mod:`backend.environment`, refuses it naming the variable and the range.
"""

# The settings in parts, read in this order (each part reads what it needs of the ones
# before): the core, the served surfaces, operations.
from .api import *  # noqa: F403
from .base import *  # noqa: F403
from .operations import *  # noqa: F403
