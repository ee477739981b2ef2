"""Settings of the served surfaces: static files and the frontend, GraphQL page sizes
and guard rails, FHIR, JSON:API (variables: :mod:`backend.settings`)."""

from pathlib import Path

from backend.environment import Limit

from .base import BASE_DIR, env

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
# FRONTEND_DIST: where the build is (the image puts it at /app/frontend/dist).
FRONTEND_DIST = Path(env.str("FRONTEND_DIST", default=str(BASE_DIR / "frontend" / "dist")))
STATICFILES_DIRS = [("frontend", FRONTEND_DIST)]
DJANGO_VITE = {
    "default": {
        "dev_mode": False,
        "manifest_path": FRONTEND_DIST / "manifest.json",
        "static_url_prefix": "frontend",
    }
}

GRAPHQL_MAX_PAGE_SIZE = env.int("GRAPHQL_MAX_PAGE_SIZE", default=1000, minimum=1)
GRAPHQL_DEFAULT_PAGE_SIZE = env.int(
    "GRAPHQL_DEFAULT_PAGE_SIZE",
    default=min(100, GRAPHQL_MAX_PAGE_SIZE),
    minimum=1,
    maximum=Limit("GRAPHQL_MAX_PAGE_SIZE", GRAPHQL_MAX_PAGE_SIZE),
)

# Guard rails against expensive documents (see README, "Limits").
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=12, minimum=1)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=30, minimum=0)
GRAPHQL_MAX_TOKENS = env.int("GRAPHQL_MAX_TOKENS", default=2000, minimum=1)
# Fields of a document once its fragment spreads are expanded (a fragment spread twice
# per level doubles them: 26 levels are 2^26 fields in 1 KB).
GRAPHQL_MAX_FIELDS = env.int("GRAPHQL_MAX_FIELDS", default=5000, minimum=1)
# A federation gateway asks a subgraph for the entities of a whole page in one
# `_entities` request: up to GRAPHQL_MAX_PAGE_SIZE representations {"__typename": …,
# "<key>": …} of REPRESENTATION_VALUES values each (the list item, a name and a value
# per member) and at most REPRESENTATION_BYTES bytes each. The defaults of the body and
# input limits hold such a page, with room for the rest of the request, whatever the
# page size; a lower value stops start-up (a gateway could not join a whole page).
REPRESENTATION_VALUES = 5
# The JSON (json.dumps, ": " and ", " separators, as Python clients send it; JavaScript's
# JSON.stringify sends 4 bytes fewer) of a representation a subgraph's `_entities` takes,
# and the ", " before the next: {"__typename": "<type>", "uuid": "<36-character uuid>"}
# is 68 bytes and the type name's (76 for Location, measured). 120 leaves room for a
# module's type name of up to 52 characters (tests/test_federation.py measures every
# active subgraph's entities against it).
REPRESENTATION_BYTES = 120
# Bytes of a GraphQL request body: refused (413) before it is read or parsed. Fewer than
# a gateway's page of representations and 16 KiB for the rest of its request (the
# document, operationName, the JSON around them) are refused.
GATEWAY_PAGE_BYTES = REPRESENTATION_BYTES * GRAPHQL_MAX_PAGE_SIZE + 16_384
GRAPHQL_MAX_BODY_BYTES = env.int(
    "GRAPHQL_MAX_BODY_BYTES",
    default=max(262_144, 256 * GRAPHQL_MAX_PAGE_SIZE),
    minimum=Limit(
        f"{REPRESENTATION_BYTES} * GRAPHQL_MAX_PAGE_SIZE={GRAPHQL_MAX_PAGE_SIZE} + 16384: "
        "a federation gateway's page of entities",
        GATEWAY_PAGE_BYTES,
    ),
)
# A request's JSON (variables included): at most this many values (strings, numbers,
# list items, object members …) and this deep a nesting of lists and objects. Fewer values
# than a gateway's page of entities (and 1000 for the rest of its request) are refused.
GATEWAY_PAGE_VALUES = REPRESENTATION_VALUES * GRAPHQL_MAX_PAGE_SIZE + 1000
GRAPHQL_MAX_INPUT_VALUES = env.int(
    "GRAPHQL_MAX_INPUT_VALUES",
    default=max(5000, GATEWAY_PAGE_VALUES),
    minimum=Limit(
        f"{REPRESENTATION_VALUES} * GRAPHQL_MAX_PAGE_SIZE={GRAPHQL_MAX_PAGE_SIZE} + 1000: "
        "a federation gateway's page of entities",
        GATEWAY_PAGE_VALUES,
    ),
)
GRAPHQL_MAX_INPUT_DEPTH = env.int("GRAPHQL_MAX_INPUT_DEPTH", default=20, minimum=1)
# Objects one answer may hold, estimated before execution; a plain list (children,
# payers, history) counts as GRAPHQL_LIST_ESTIMATE objects, and a request above the
# limit is estimated again from the rows in the database (backend/graphql/cost.py).
GRAPHQL_MAX_NODES = env.int("GRAPHQL_MAX_NODES", default=100_000, minimum=1)
GRAPHQL_LIST_ESTIMATE = env.int("GRAPHQL_LIST_ESTIMATE", default=20, minimum=1)
# Seconds a process keeps the largest number of related rows per parent of each list
# field, which that second estimate reads (backend/graphql/row_estimate.py).
GRAPHQL_FAN_OUT_SECONDS = env.int("GRAPHQL_FAN_OUT_SECONDS", default=60, minimum=0)

# Reads compiled into one PostgreSQL statement building the answer's JSON (README, "How
# reads are executed"); false: every operation runs through the general executor.
GRAPHQL_COMPILE = env.bool("GRAPHQL_COMPILE", default=True)

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
    "DEFAULT_RENDERER_CLASSES": ("backend.jsonapi.renderers.JSONRenderer",),
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "backend.jsonapi.negotiation.JsonApiNegotiation",
    "DEFAULT_METADATA_CLASS": "rest_framework_json_api.metadata.JSONAPIMetadata",
    "DEFAULT_SCHEMA_CLASS": "rest_framework_json_api.schemas.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ("backend.api_auth.BearerTokenAuthentication",),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "SEARCH_PARAM": "filter[search]",
    "TEST_REQUEST_DEFAULT_FORMAT": "vnd.api+json",
    "TEST_REQUEST_RENDERER_CLASSES": ("backend.jsonapi.renderers.JSONRenderer",),
}
JSON_API_FORMAT_FIELD_NAMES = "camelize"
JSON_API_FORMAT_TYPES = False
JSON_API_PLURALIZE_TYPES = False
