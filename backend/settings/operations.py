"""Operations settings: logs, metrics, tracing, CORS (README "Operations").

Variables: :mod:`backend.settings`."""

import ipaddress
import logging

from django.core.exceptions import ImproperlyConfigured

from backend.logs import configure_structlog, log_format, log_level, logging_config

from .base import DEBUG, env

# --- Operations: logs, metrics, tracing, CORS (README "Operations") ----------------------

# Logs: one JSON object per line on stderr (LOG_FORMAT=json, the default outside DEBUG), or
# coloured lines for a terminal (LOG_FORMAT=console, the default with DEBUG). Every line
# written during a request carries its ``request_id`` (the client's X-Request-ID header,
# or a new uuid) and ``user_id``; django-structlog logs ``request_started`` and
# ``request_finished`` (status code) for each request. Other loggers (Django's, gunicorn's
# with backend/gunicorn_config.py, ``backend.graphql``, Python's warnings) go through the
# same formatter (backend/logs.py).
LOG_FORMAT = log_format(DEBUG)
# LOG_TRUST_REQUEST_ID=true: take the request id from the X-Request-ID header (set by a
# proxy or gateway in front); by default every request gets a new one, as a client could
# send any value.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = env.bool("LOG_TRUST_REQUEST_ID", default=False)
# The ``ip`` of the log lines is the client address lockouts use (REMOTE_ADDR, or the one
# the trusted proxies vouch for: AXES_IPWARE_PROXY_COUNT), bound by
# backend.observability.bind_client_address; django-structlog's own lookup (ipware)
# believes any client's X-Forwarded-For header.
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
LOG_LEVEL = log_level()
configure_structlog()
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
# Python's warnings (``warnings.warn``: Django's, WhiteNoise's "No directory at ...")
# are logged (logger ``py.warnings``) in the same format, not printed apart.
logging.captureWarnings(True)

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
