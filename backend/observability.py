"""Metrics and tracing of the GraphQL endpoints, and the ``/metrics`` view.

Metrics (prometheus_client, exported with django-prometheus's own request, latency and
database metrics):

``graphql_operations_total{endpoint, type, name}``
    GraphQL operations executed; ``endpoint`` is ``graphql`` (the composed schema) or a
    module label (its subgraph), ``type`` ``query``/``mutation``/``unknown`` (a document
    that did not parse), ``name`` the operation name (empty when anonymous; at most
    :data:`MAX_OPERATION_NAMES` distinct names per process, later ones count as
    ``(other)``, since clients choose them).
``graphql_errors_total{endpoint, type, name}``
    Errors in the responses of those operations (request, validation and field errors).
``graphql_operation_duration_seconds{endpoint, type}``
    Time from receiving the document to the result, in seconds.

Tracing: with ``GRAPHQL_TRACING`` strawberry's OpenTelemetry extension adds a span per
operation (its name, the document) with child spans for parsing, validation and
resolvers; :func:`configure_tracing` sends them over OTLP/HTTP.
"""

from __future__ import annotations

import ipaddress
import sys
import threading
import time
from collections.abc import Callable, Iterator

import structlog
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import Counter, Histogram
from strawberry import Schema
from strawberry.extensions import SchemaExtension

#: Distinct operation names kept as label values per process.
MAX_OPERATION_NAMES = 500
OTHER_NAME = "(other)"

OPERATIONS = Counter(
    "graphql_operations_total", "GraphQL operations executed.", ["endpoint", "type", "name"]
)
ERRORS = Counter(
    "graphql_errors_total", "Errors in GraphQL responses.", ["endpoint", "type", "name"]
)
DURATION = Histogram(
    "graphql_operation_duration_seconds",
    "Time to execute a GraphQL operation, in seconds.",
    ["endpoint", "type"],
)

_names: set[str] = set()
_names_lock = threading.Lock()


def _name_label(name: str | None) -> str:
    """The label value of an operation name, bounded to MAX_OPERATION_NAMES values."""
    name = (name or "")[:100]
    with _names_lock:
        if name in _names:
            return name
        if len(_names) < MAX_OPERATION_NAMES:
            _names.add(name)
            return name
    return OTHER_NAME


class OperationMetrics(SchemaExtension):
    """Counts each operation, its errors and its duration (the metrics above)."""

    def __init__(self, *, endpoint: str) -> None:
        self.endpoint = endpoint

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:  # also when the operation raised (a document that does not parse)
            self._count(time.perf_counter() - started)

    def _count(self, seconds: float) -> None:
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except RuntimeError:  # no document: it did not parse
            kind = "unknown"
        errors = (context.result.errors if context.result else None) or (
            context.pre_execution_errors or []
        )
        if sys.exc_info()[1] is not None and not errors:
            errors = [sys.exc_info()[1]]  # raised: strawberry turns it into one error
        _count(self.endpoint, kind, context.operation_name, len(errors), seconds)


def _count(endpoint: str, kind: str, name: str | None, errors: int, seconds: float) -> None:
    labels = {"endpoint": endpoint, "type": kind}
    name = _name_label(name)
    OPERATIONS.labels(**labels, name=name).inc()
    if errors:
        ERRORS.labels(**labels, name=name).inc(errors)
    DURATION.labels(**labels).observe(seconds)


def count_operation(
    schema: Schema, kind: str, name: str | None, errors: int, seconds: float
) -> None:
    """Count an operation answered without strawberry's pipeline (so without
    :class:`OperationMetrics`) on the endpoint serving ``schema``: its ``kind``
    (``query`` …), ``name``, number of ``errors`` and duration in ``seconds``; nothing
    when the schema is not observed (:func:`observe`)."""
    endpoint = getattr(schema, "_observed", None)
    if endpoint is not None:
        _count(endpoint, kind, name, errors, seconds)


_tracing_configured = False


def configure_tracing() -> None:
    """Install an OpenTelemetry tracer provider exporting over OTLP/HTTP, once.

    The exporter reads OpenTelemetry's variables (``OTEL_EXPORTER_OTLP_ENDPOINT``,
    default ``http://localhost:4318``; ``OTEL_SERVICE_NAME``, default here
    ``openimis-graphql``). A provider installed before (e.g. by ``opentelemetry-instrument``)
    is kept. Raises ``ImportError`` without the ``otel`` extra.
    """
    global _tracing_configured
    if _tracing_configured:
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        resource = Resource({"service.name": "openimis-graphql"}).merge(
            OTELResourceDetector().detect()
        )
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
    _tracing_configured = True


def graphql_extensions(endpoint: str) -> list[Callable[[], SchemaExtension]]:
    """The extensions of one GraphQL endpoint: metrics, and tracing with GRAPHQL_TRACING."""
    extensions: list[Callable[[], SchemaExtension]] = [lambda: OperationMetrics(endpoint=endpoint)]
    if settings.GRAPHQL_TRACING:
        from strawberry.extensions.tracing import OpenTelemetryExtensionSync

        configure_tracing()
        extensions.append(OpenTelemetryExtensionSync)
    return extensions


def observe(schema: Schema, endpoint: str) -> Schema:
    """Add :func:`graphql_extensions` to ``schema`` (once) and return it.

    The schema is built in ``backend.graphql``; the URL configuration adds the operational
    extensions to the schema each endpoint serves.
    """
    if getattr(schema, "_observed", None) is None:
        schema.extensions = (*schema.extensions, *graphql_extensions(endpoint))
        schema._observed = endpoint
    return schema


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus metrics, for clients :func:`may_read_internals` allows; 404 for
    others (the endpoint is not advertised to the public)."""
    if not may_read_internals(request):
        raise Http404
    return ExportToDjangoView(request)


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``METRICS_ALLOWED_NETWORKS`` as networks (validated in the settings)."""
    return [ipaddress.ip_network(n, strict=False) for n in settings.METRICS_ALLOWED_NETWORKS]


#: Headers by which a proxy says for whom it relays a request (``X-Forwarded-For``,
#: RFC 7239 ``Forwarded``, nginx's ``X-Real-IP``).
RELAY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def may_read_internals(request: HttpRequest) -> bool:
    """Whether ``request`` may read ``/metrics`` and the causes of ``/health/ready``: its
    client address, as lockouts see it (:func:`client_address`), lies in
    ``METRICS_ALLOWED_NETWORKS``. A request relayed by a proxy (one of
    :data:`RELAY_HEADERS`) is not taken for its proxy's address: with trusted proxies
    (``AXES_IPWARE_PROXY_COUNT``) the address they vouch for must be allowed (none if
    that entry is no address), without any it is refused, since behind a proxy on the
    same machine every request comes from 127.0.0.1."""
    relayed = any(request.META.get(header, "").strip() for header in RELAY_HEADERS)
    address = _vouched_address(request) if relayed else request.META.get("REMOTE_ADDR")
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(client in network for network in allowed_networks())


def _vouched_address(request: HttpRequest) -> str | None:
    """The entry of ``X-Forwarded-For`` the farthest of ``TRUSTED_PROXY_COUNT`` proxies
    appended, when it is an IP address; else None (no trusted proxy, no such entry)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()] if proxies else []
    if not hops:
        return None
    try:
        return str(ipaddress.ip_address(hops[-min(proxies, len(hops))]))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The address ``request`` came from, as lockouts (django-axes'
    ``AXES_CLIENT_IP_CALLABLE``) and log lines see it: with ``TRUSTED_PROXY_COUNT`` = N
    proxies in front (``AXES_IPWARE_PROXY_COUNT``), the N-th address from the right of
    ``X-Forwarded-For``, the one the farthest proxy appended (each appends the address it
    received the request from, so what stands before it the client may have written
    itself; with fewer entries, the leftmost); otherwise, or when that entry is no IP
    address, ``REMOTE_ADDR``. None when neither is known."""
    return _vouched_address(request) or request.META.get("REMOTE_ADDR") or None


def bind_client_address(sender, request: HttpRequest, **kwargs) -> None:
    """django-structlog's ``bind_extra_request_metadata`` receiver (connected at start-up):
    every log line of ``request`` carries ``ip``, its :func:`client_address`, not an
    address any client can choose by sending ``X-Forwarded-For`` itself."""
    structlog.contextvars.bind_contextvars(ip=client_address(request))
