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
    Required as soon as ``ALLOWED_HOSTS`` names a non-local host (debug mode or not).
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
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=_LOCAL_HOSTS)
_INSECURE_KEY = "insecure-local-only-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_KEY)
if SECRET_KEY == _INSECURE_KEY and set(ALLOWED_HOSTS) - set(_LOCAL_HOSTS):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when the server accepts non-local hosts "
        f"(ALLOWED_HOSTS={','.join(ALLOWED_HOSTS)})."
    )

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
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "strawberry_django",
    "oauth2_provider",
    "rest_framework",
    "django_filters",
    "backend.apps.CoreConfig",
    "backend.legacy.staging.apps.StagingConfig",
    *(f"modules.{name}" for name in OPENIMIS_MODULES),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
}

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
# Objects one answer may hold, estimated before execution; a plain list (children,
# payers, history) counts as GRAPHQL_LIST_ESTIMATE objects.
GRAPHQL_MAX_NODES = env.int("GRAPHQL_MAX_NODES", default=100_000)
GRAPHQL_LIST_ESTIMATE = env.int("GRAPHQL_LIST_ESTIMATE", default=20)

STRAWBERRY_DJANGO = {
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
    "MAP_AUTO_ID_AS_GLOBAL_ID": True,
}

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
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
