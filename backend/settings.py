"""Django settings, read from the environment (12-factor) through django-environ.

Every setting has a safe local default, so that with nothing set the project runs on an
embedded SQLite file (``db.sqlite3`` in the repository root). Variables:

``DATABASE_URL``
    Database URL, e.g. ``postgres://postgres@127.0.0.1:5432/openimis``.
    Default: ``sqlite:///<repo>/db.sqlite3``. PostgreSQL goes through psycopg 3 with
    Django's built-in connection pool (``DATABASE_POOL``, default on).
``DEBUG``
    ``true``/``false``, default ``false``. In debug mode errors are not masked.
``SECRET_KEY``
    Required as soon as ``ALLOWED_HOSTS`` names a non-local host (debug mode or not);
    a ``DEBUG=false`` server (``backend.wsgi``) refuses to start without it.
``BEHIND_TLS_PROXY``
    ``true`` when a TLS-terminating proxy serves the site over HTTPS and sets
    ``X-Forwarded-Proto``: HTTPS redirect, HSTS (``SECURE_HSTS_SECONDS``, default one
    year), Secure cookies. Default ``false``. README, "Production behind a TLS proxy".
``DATABASE_STATEMENT_TIMEOUT`` / ``DATABASE_LOCK_TIMEOUT``
    PostgreSQL ``statement_timeout`` and ``lock_timeout`` in milliseconds (default
    15000 and 5000; 0 turns one off): a request never waits on the database longer than
    the worker lives.
``ALLOWED_HOSTS``
    Comma-separated host names. Default: ``localhost,127.0.0.1,[::1]``.
``OPENIMIS_MODULES``
    Comma-separated active modules, in order (like openIMIS' module list).
    Default: ``location,payer``. Each name is a package under ``modules/``.
``GRAPHQL_DEFAULT_PAGE_SIZE`` / ``GRAPHQL_MAX_PAGE_SIZE``
    Connection page size when ``first``/``last`` is not given (default 100) and the
    largest ``first``/``last`` accepted (default 1000). A larger request is an error.
    FHIR's ``_count`` and JSON:API's ``page[size]`` follow the same two settings.
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
"""

import datetime
import ipaddress
from pathlib import Path

import environ
import structlog
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


class _SecretFiles(environ.FileAwareMapping):
    """django-environ's ``X_FILE`` lookup, refusing ``X`` and ``X_FILE`` together and
    dropping the file's final line break (see the module docstring)."""

    def __getitem__(self, key: str) -> str:
        path = self.env.get(f"{key}_FILE")
        if not path:
            return self.env[key]
        if key in self.env:
            raise ImproperlyConfigured(f"Set {key} or {key}_FILE, not both.")
        try:
            return super().__getitem__(key).removesuffix("\n").removesuffix("\r")
        except OSError as error:
            raise ImproperlyConfigured(f"{key}_FILE: cannot read {path}: {error}") from None


# ``X_FILE`` (a path) stands for ``X`` (the file's content), for every variable read
# through ``env``.
env = environ.FileAwareEnv()
env.ENVIRON = _SecretFiles()
_LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=_LOCAL_HOSTS)
_INSECURE_KEY = "insecure-local-only-key-do-not-use-in-production"  # deployment.py refuses it
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_KEY)
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
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

OPENIMIS_MODULES = [
    name.strip()
    for name in env.list("OPENIMIS_MODULES", default=["location", "payer"])
    if name.strip()
]
if not OPENIMIS_MODULES:
    raise ImproperlyConfigured("OPENIMIS_MODULES is empty: name at least one module.")
_unknown = [m for m in OPENIMIS_MODULES if not (BASE_DIR / "modules" / m / "apps.py").is_file()]
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
    "django.contrib.auth.backends.ModelBackend",
]

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3 with Django's own connection pool (Django >= 5.1).
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=10),
            # seconds to wait for a connection; also how long a wrong DATABASE_URL
            # (unknown database or user) takes to fail at start
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}
    # Bounded waits: a statement or a row lock that takes longer fails (a retryable
    # 503) instead of holding a worker until gunicorn kills it (30 s).
    _timeouts = {
        "statement_timeout": env.int("DATABASE_STATEMENT_TIMEOUT", default=15_000),
        "lock_timeout": env.int("DATABASE_LOCK_TIMEOUT", default=5_000),
    }
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(
        [_options.get("options", ""), *(f"-c {k}={v}" for k, v in _timeouts.items())]
    ).strip()
# The password apart from the URL (e.g. DATABASE_PASSWORD_FILE=/run/secrets/db_password),
# so that the URL itself holds no secret; it replaces a password written in the URL.
if _database_password := env.str("DATABASE_PASSWORD", default=""):
    DATABASES["default"]["PASSWORD"] = _database_password
# The same engines, wrapped by django-prometheus to count queries, errors and durations.
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])

# A pooled or persistent connection the database closed (restart, terminated backend)
# is checked before use and replaced, instead of failing the request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Seconds a client is told to wait (Retry-After) after a 503 for a database fault.
RETRY_AFTER_SECONDS = env.int("RETRY_AFTER_SECONDS", default=1)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Browser users log in with a Django session (GraphiQL then works); API clients send an
# OAuth2 bearer token from django-oauth-toolkit (POST /o/token/). See README.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/graphql"
LOGOUT_REDIRECT_URL = "/accounts/login/"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH2_ACCESS_TOKEN_SECONDS", default=3600),
    "SCOPES": {"read": "Read data", "write": "Change data"},
    "DEFAULT_SCOPES": ["read", "write"],
    # RFC 9700 (OAuth 2.0 Security Best Current Practice), as the toolkit implements it:
    # no implicit or password grant, PKCE S256 required, tokens only in the header,
    # the RFC 9207 `iss` parameter, tokens stored hashed, refresh token replay
    # detection, exact https redirect URIs.
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
# for AXES_COOLOFF_MINUTES. Behind a proxy, the client address is the last one the
# proxy appended to X-Forwarded-For (AXES_IPWARE_PROXY_COUNT proxies).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# Zone of the naive datetimes in legacy openIMIS exports (the legacy server's local time),
# read by ``manage.py import_legacy``; an IANA name such as "Africa/Dar_es_Salaam".
LEGACY_TIME_ZONE = env.str("LEGACY_TIME_ZONE", default="UTC")
# Folder of the import reports that ``import_legacy`` writes when the database is not
# PostgreSQL (where the report goes to the ``legacy_staging`` table). Default: the
# current directory.
LEGACY_REPORT_DIR = env.str("LEGACY_REPORT_DIR", default=".")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# WhiteNoise serves /static/ from STATIC_ROOT, filled by collectstatic (as the image does)
# with compressed copies; where nothing was collected (a checkout, the tests), from the
# apps' static folders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
_collected = Path(str(STATIC_ROOT))
WHITENOISE_USE_FINDERS = not (_collected.is_dir() and any(_collected.iterdir()))
# The frontend and GraphiQL as Vite builds them (make frontend), served under
# STATIC_URL/frontend/ by staticfiles; django-vite links the entries from the manifest.
STATICFILES_DIRS = [("frontend", BASE_DIR / "frontend" / "dist")]
DJANGO_VITE = {
    "default": {
        "dev_mode": False,
        "manifest_path": BASE_DIR / "frontend" / "dist" / "manifest.json",
        "static_url_prefix": "frontend",
    }
}

GRAPHQL_MAX_PAGE_SIZE = env.int("GRAPHQL_MAX_PAGE_SIZE", default=1000)
if GRAPHQL_MAX_PAGE_SIZE < 1:
    raise ImproperlyConfigured(
        f"GRAPHQL_MAX_PAGE_SIZE must be positive (got {GRAPHQL_MAX_PAGE_SIZE})."
    )
GRAPHQL_DEFAULT_PAGE_SIZE = env.int(
    "GRAPHQL_DEFAULT_PAGE_SIZE", default=min(100, max(GRAPHQL_MAX_PAGE_SIZE, 1))
)
if not 0 < GRAPHQL_DEFAULT_PAGE_SIZE <= GRAPHQL_MAX_PAGE_SIZE:
    raise ImproperlyConfigured(
        "GRAPHQL_DEFAULT_PAGE_SIZE must be positive and at most GRAPHQL_MAX_PAGE_SIZE "
        f"(got {GRAPHQL_DEFAULT_PAGE_SIZE} and {GRAPHQL_MAX_PAGE_SIZE})."
    )

# Guard rails against expensive documents (see README, "Limits").
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=12)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=30)
GRAPHQL_MAX_TOKENS = env.int("GRAPHQL_MAX_TOKENS", default=2000)
# Fields of a document once its fragment spreads are expanded (a fragment spread twice
# per level doubles them: 26 levels are 2^26 fields in 1 KB).
GRAPHQL_MAX_FIELDS = env.int("GRAPHQL_MAX_FIELDS", default=5000)
# A request's JSON (variables included): at most this many values (strings, numbers,
# list items, object members …) and this deep a nesting of lists and objects.
# Bytes of a GraphQL request body: refused (413) before it is read or parsed. A page of
# 1,000 federation representations takes about 75 KB.
GRAPHQL_MAX_BODY_BYTES = env.int("GRAPHQL_MAX_BODY_BYTES", default=262_144)
GRAPHQL_MAX_INPUT_VALUES = env.int("GRAPHQL_MAX_INPUT_VALUES", default=5000)
GRAPHQL_MAX_INPUT_DEPTH = env.int("GRAPHQL_MAX_INPUT_DEPTH", default=20)
# Objects one answer may hold, estimated before execution; a plain list (children,
# payers, history) counts as GRAPHQL_LIST_ESTIMATE objects.
GRAPHQL_MAX_NODES = env.int("GRAPHQL_MAX_NODES", default=100_000)
GRAPHQL_LIST_ESTIMATE = env.int("GRAPHQL_LIST_ESTIMATE", default=20)

STRAWBERRY_DJANGO = {
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
    "MAP_AUTO_ID_AS_GLOBAL_ID": True,
}

# --- Operations: logs, metrics, tracing, CORS (README "Operations") ----------------------

# Logs: one JSON object per line on stderr (LOG_FORMAT=json, the default outside DEBUG), or
# coloured lines for a terminal (LOG_FORMAT=console, the default with DEBUG). Every line
# written during a request carries its ``request_id`` (the client's X-Request-ID header,
# or a new uuid) and ``user_id``; django-structlog logs ``request_started`` and
# ``request_finished`` (status code) for each request. Other loggers (Django's, gunicorn's
# errors, ``backend.graphql``) go through the same formatter.
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
# LOG_TRUST_REQUEST_ID=true: take the request id from the X-Request-ID header (set by a
# proxy or gateway in front); by default every request gets a new one, as a client could
# send any value.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = env.bool("LOG_TRUST_REQUEST_ID", default=False)
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or console (got {LOG_FORMAT!r}).")
_LOG_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
]
structlog.configure(
    processors=[
        structlog.stdlib.filter_by_level,
        *_LOG_CHAIN,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    cache_logger_on_first_use=True,
)

# FHIR at /fhir/ (backend/fhir): validate every resource served with fhir.resources (on by
# default; it is some 40 % of a search's time; the tests validate every resource anyway).
FHIR_VALIDATE_RESPONSES = env.bool("FHIR_VALIDATE_RESPONSES", default=True)

# JSON:API at /api/ (Django REST framework JSON:API, backend/jsonapi); the FHIR views set
# their own classes. Authentication and permissions are set per view (backend.api_auth).
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "rest_framework_json_api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": ("rest_framework_json_api.parsers.JSONParser",),
    "DEFAULT_RENDERER_CLASSES": ("rest_framework_json_api.renderers.JSONRenderer",),
    "DEFAULT_METADATA_CLASS": "rest_framework_json_api.metadata.JSONAPIMetadata",
    "DEFAULT_SCHEMA_CLASS": "rest_framework_json_api.schemas.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ("backend.api_auth.BearerTokenAuthentication",),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "SEARCH_PARAM": "filter[search]",
    "TEST_REQUEST_DEFAULT_FORMAT": "vnd.api+json",
    "TEST_REQUEST_RENDERER_CLASSES": ("rest_framework_json_api.renderers.JSONRenderer",),
}
JSON_API_FORMAT_FIELD_NAMES = "camelize"
JSON_API_FORMAT_TYPES = False
JSON_API_PLURALIZE_TYPES = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "foreign_pre_chain": _LOG_CHAIN,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                # tracebacks as data, without local variables (they may hold secrets)
                structlog.processors.ExceptionRenderer(
                    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
                ),
                structlog.processors.JSONRenderer(),
            ],
        },
        "console": {
            "()": structlog.stdlib.ProcessorFormatter,
            "foreign_pre_chain": _LOG_CHAIN,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(),
            ],
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes announces itself at every start; its lockouts are warnings
    "loggers": {"axes.apps": {"level": "WARNING"}},
}

# Metrics (django-prometheus, Prometheus text format) at /metrics: requests, latencies,
# database queries, GraphQL operations by name and their errors. Answered only to
# clients whose address is in METRICS_ALLOWED_NETWORKS (comma-separated CIDR networks;
# default: this host only); anyone else gets a 404. With several gunicorn workers set
# PROMETHEUS_MULTIPROC_DIR (docker/entrypoint.sh does) so that one scrape sees them all.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {_error}") from None
PROMETHEUS_EXPORT_MIGRATIONS = False

# Tracing: GRAPHQL_TRACING=true adds strawberry's OpenTelemetry extension (a span per
# operation, with parsing, validation and resolvers) and exports the spans over OTLP/HTTP
# to OTEL_EXPORTER_OTLP_ENDPOINT (OpenTelemetry's own variables; service name from
# OTEL_SERVICE_NAME, default openimis-graphql). Needs the ``otel`` extra (in the image).
GRAPHQL_TRACING = env.bool("GRAPHQL_TRACING", default=False)

# CORS (django-cors-headers): off unless CORS_ALLOWED_ORIGINS names origins, e.g.
# "https://app.example.org,http://localhost:5173"; only the API (/graphql, /o/) answers
# cross-origin. CORS_ALLOW_CREDENTIALS=true lets those origins send cookies.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = env.bool("CORS_ALLOW_CREDENTIALS", default=False)
CORS_URLS_REGEX = r"^/(graphql|o/)"
