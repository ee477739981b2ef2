"""Core settings: hosts and key, the
module list, apps, middleware, database, authentication (OAuth2, django-axes).
The variables are described in :mod:`backend.settings`."""

import datetime
import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from backend.environment import C_INT_MAX, Limit, env

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# ``X_FILE`` (a path) stands for ``X`` (the file's content), for every variable read
# through ``env``, whose typed readers refuse a value they cannot read, naming it.
_LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=_LOCAL_HOSTS)
_INSECURE_KEY = "insecure-local-only-key-do-not-use-in-production"  # deployment.py refuses it
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_KEY)
if not SECRET_KEY.strip():  # an empty SECRET_KEY_FILE is refused by env, naming the file
    raise ImproperlyConfigured("SECRET_KEY is empty: set a long random value, or unset it.")
if SECRET_KEY == _INSECURE_KEY and set(ALLOWED_HOSTS) - set(_LOCAL_HOSTS):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when the server accepts non-local hosts "
        f"(ALLOWED_HOSTS={','.join(ALLOWED_HOSTS)})."
    )

# Production behind a TLS-terminating proxy (README): the proxy sets X-Forwarded-Proto;
# plain-HTTP requests are redirected, browsers are told to use HTTPS only (HSTS) and
# the session and CSRF cookies are sent over HTTPS only.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[])
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

#: The module list: the one place to enable a module (docker-compose.yml's default is
#: checked against it). The variable OPENIMIS_MODULES overrides it.
DEFAULT_MODULES = ["location", "payer"]
OPENIMIS_MODULES = [
    name.strip() for name in env.list("OPENIMIS_MODULES", default=DEFAULT_MODULES) if name.strip()
]
if not OPENIMIS_MODULES:
    raise ImproperlyConfigured("OPENIMIS_MODULES is empty: name at least one module.")
_repeated = sorted({m for m in OPENIMIS_MODULES if OPENIMIS_MODULES.count(m) > 1})
if _repeated:
    raise ImproperlyConfigured(
        f"OPENIMIS_MODULES names module(s) more than once: {', '.join(_repeated)}."
    )
_unknown = [
    m
    for m in OPENIMIS_MODULES
    if not (m.isidentifier() and (BASE_DIR / "modules" / m / "apps.py").is_file())
]
if _unknown:
    raise ImproperlyConfigured(
        f"OPENIMIS_MODULES names unknown module(s): {', '.join(_unknown)}. "
        "Each module is a Django app under modules/<name>/."
    )

INSTALLED_APPS = [
    "axes",  # throttles failed logins and token requests (see AXES_* below)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "strawberry_django",
    "django_vite",
    "oauth2_provider",
    "corsheaders",
    "health_check",
    "django_prometheus",
    "rest_framework",
    "django_filters",
    "backend.apps.CoreConfig",
    "backend.legacy.staging.apps.StagingConfig",
    *(f"modules.{name}" for name in OPENIMIS_MODULES),
]

MIDDLEWARE = [
    # first and last: request counts and latencies (section "Operations")
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # CORS answers preflights before anything else can respond
    "corsheaders.middleware.CorsMiddleware",
    # static files (the admin's) in every deployment, gunicorn included
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request id (X-Request-ID or a new one) and user in every log line of the request
    "django_structlog.middlewares.RequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last but the metrics, as django-axes asks
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login
    # with DEBUG=false, refuses the demo user's public password (README "Production ...")
    "backend.deployment.RefuseDemoLogin",
    # ModelBackend with the permission sets cached for AUTH_CACHE_SECONDS
    "backend.auth_cache.CachedModelBackend",
]

# Django's standard password rules (createsuperuser, changepassword, the admin's forms):
# not like the user's name or e-mail, at least 10 characters, not a common password, not
# all digits. (create_demo_user sets the public demo password directly, DEBUG only.)
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATION}.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
]

# Bearer tokens (token -> user, scopes) and users' permissions are cached for at most
# AUTH_CACHE_SECONDS (0 turns the cache off): a revocation made in another process takes
# effect within that time (backend/auth_cache.py, README "Cached authentication").
AUTH_CACHE_SECONDS = env.float("AUTH_CACHE_SECONDS", default=10, minimum=0)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # per process; a shared cache (Redis) here makes the revocations of one process
    # immediate in all
    "auth": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "auth",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
}

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_DATABASE_ENGINES = ("django.db.backends.postgresql", "django.db.backends.sqlite3")
try:
    with warnings.catch_warnings():  # an unknown scheme is refused below, in one message
        warnings.simplefilter("ignore", UserWarning)
        _url = env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    DATABASES = {"default": _url}
except (KeyError, ValueError, ImproperlyConfigured) as _error:  # unknown scheme, bad port
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL this project runs on ({_error}): use "
        "postgres://user@host:5432/name or sqlite:////absolute/path.sqlite3."
    ) from None
if DATABASES["default"].get("ENGINE") not in _DATABASE_ENGINES:
    raise ImproperlyConfigured(
        f"DATABASE_URL names {DATABASES['default'].get('ENGINE') or 'no engine'}: this "
        "project runs on PostgreSQL (postgres://...) or SQLite (sqlite:///...)."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3 with Django's own connection pool (Django >= 5.1).
    if env.bool("DATABASE_POOL", default=True):
        _pool_min = env.int("DATABASE_POOL_MIN", default=2, minimum=0)
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": _pool_min,
            "max_size": env.int(
                "DATABASE_POOL_MAX",
                default=max(10, _pool_min),
                minimum=Limit("DATABASE_POOL_MIN", _pool_min) if _pool_min else 1,
            ),
            # seconds to wait for a connection while all are in use (a failed attempt
            # ends the wait: DATABASE_DOWN_RETRY_SECONDS); also the connect_timeout of
            # libpq, a C int, for a request's own attempt (backend/database/base.py)
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10, minimum=1, maximum=C_INT_MAX),
        }
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}
    # Bounded waits: a statement or a row lock that takes longer fails (a retryable
    # 503) instead of holding a worker until gunicorn kills it (30 s).
    _timeouts = {
        "statement_timeout": env.int(
            "DATABASE_STATEMENT_TIMEOUT", default=15_000, minimum=0, maximum=C_INT_MAX
        ),
        "lock_timeout": env.int(
            "DATABASE_LOCK_TIMEOUT", default=5_000, minimum=0, maximum=C_INT_MAX
        ),
    }
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(
        [_options.get("options", ""), *(f"-c {k}={v}" for k, v in _timeouts.items())]
    ).strip()
# Fail fast while the database is unreachable (pooled PostgreSQL, backend/database/base.py):
# after a failed connection attempt, requests answer 503 at once for this many seconds,
# then one request at a time per process tries to connect; 0: every request waits up to
# DATABASE_POOL_TIMEOUT, as psycopg_pool does.
DATABASE_DOWN_RETRY_SECONDS = env.float(
    "DATABASE_DOWN_RETRY_SECONDS", default=2, minimum=0, maximum=60
)
# The SQL compiler's statements are prepared on their connection at their 5th run
# (psycopg's prepare_threshold; Django's own queries bind their parameters on the client
# and are never prepared): backend/database/base.py. False behind a PgBouncer in
# transaction mode older than 1.21, which cannot keep prepared statements.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
        5 if DATABASE_PREPARED_STATEMENTS else None
    )
# SQLite (the embedded default): a write waits up to DATABASE_BUSY_TIMEOUT ms for the
# database lock another connection holds (SQLite's busy timeout) instead of failing at
# once with "database is locked" (a 503), and a transaction takes the write lock when it
# begins (BEGIN IMMEDIATE, Django >= 5.1): two transactions that read, then write, would
# otherwise deadlock upgrading their locks, and SQLite fails one at once, timeout or not.
# The database is in write-ahead-log mode (WAL; kept in the file): reads go on while a
# write transaction holds the database (an import), instead of waiting for its end.
SQLITE_OPTIONS = {
    "timeout": env.int("DATABASE_BUSY_TIMEOUT", default=5_000, minimum=0, maximum=C_INT_MAX) / 1000,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
# The password apart from the URL (e.g. DATABASE_PASSWORD_FILE=/run/secrets/db_password),
# so that the URL itself holds no secret; it replaces a password written in the URL.
if _database_password := env.str("DATABASE_PASSWORD", default=""):
    DATABASES["default"]["PASSWORD"] = _database_password
# The same engines, wrapped by django-prometheus to count queries, errors and durations
# (PostgreSQL's also checks its pooled connections more cheaply: backend/database;
# SQLite's ignores case beyond ASCII as PostgreSQL does: backend/database/sqlite).
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "backend.database",
    "django.db.backends.sqlite3": "backend.database.sqlite",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])

# A pooled or persistent connection the database closed (restart, terminated backend)
# is checked before use and replaced, instead of failing the request (pooled ones
# without a round trip while nothing happened on them: backend/database/base.py).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Seconds a client is told to wait (Retry-After) after a 503 for a database fault.
RETRY_AFTER_SECONDS = env.int("RETRY_AFTER_SECONDS", default=1, minimum=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Browser users log in with a Django session (the frontend and GraphiQL then work); API
# clients send an OAuth2 bearer token from django-oauth-toolkit (POST /o/token/). See README.
# A login without ?next= lands on the frontend (/ leads to /app/); ?next= still wins.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
_ONE_YEAR = 365 * 24 * 3600  # seconds: the longest access token lifetime
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int(
        "OAUTH2_ACCESS_TOKEN_SECONDS", default=3600, minimum=1, maximum=_ONE_YEAR
    ),
    "SCOPES": {"read": "Read data", "write": "Change data"},
    "DEFAULT_SCOPES": ["read", "write"],
    # RFC 9700 (OAuth 2.0 Security Best Current Practice), as the toolkit implements it:
    # no implicit or password grant, PKCE S256 required, tokens only in the header,
    # the RFC 9207 `iss` parameter, tokens stored hashed, refresh token replay
    # detection, exact https redirect URIs.
    # The server offers only the grants we serve (backend.oauth.OfferedGrantsServer): a
    # password or implicit request is refused before any user credential is checked.
    "OAUTH2_SERVER_CLASS": "backend.oauth.OfferedGrantsServer",
    # refuses the demo client with DEBUG=false (backend.deployment.demo_refused)
    "OAUTH2_VALIDATOR_CLASS": "backend.oauth.Validator",
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
}

# django-axes: after AXES_FAILURE_LIMIT failed logins (login page, admin, token
# endpoint) of one user name or client id from one address, that pair is locked out
# for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=env.int("AXES_COOLOFF_MINUTES", default=15, minimum=1, maximum=_ONE_YEAR // 60)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The client address (backend.observability.client_address, for lockouts and logs): with
# AXES_IPWARE_PROXY_COUNT = N trusted proxies in front, the N-th address from the right of
# X-Forwarded-For (each proxy appends the address it received the request from; what
# stands before, the client may have written); with none, the connection's address.
TRUSTED_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "backend.observability.client_address"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.time_zone("TIME_ZONE", default="UTC")
# Zone of the naive datetimes in legacy openIMIS exports (the legacy server's local time),
# read by ``manage.py import_legacy``; an IANA name such as "Africa/Dar_es_Salaam".
LEGACY_TIME_ZONE = env.time_zone("LEGACY_TIME_ZONE", default="UTC")
# Folder of the import reports that ``import_legacy`` writes when the database is not
# PostgreSQL (where the report goes to the ``legacy_staging`` table). Default: the
# current directory.
LEGACY_REPORT_DIR = env.str("LEGACY_REPORT_DIR", default=".")
USE_I18N = True
USE_TZ = True
