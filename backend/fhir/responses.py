"""FHIR HTTP plumbing: ``application/fhir+json`` responses, OperationOutcome responses,
the one format served, and :class:`FhirView`, the base of every FHIR view (DRF
authentication as GraphQL's; every exception an OperationOutcome with its status)."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from fhir.resources.R4B.operationoutcome import OperationOutcome
from rest_framework import exceptions as drf_exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.views import APIView

from backend.api_auth import AUTHENTICATION
from backend.errors import is_database_fault
from backend.fhir.elements import SERVER_BASE
from backend.fhir.errors import FhirError, _Refused, bad_request
from backend.media_types import takes
from backend.query_string import QueryStringProblem, values_of
from backend.request_body import BodyChecked, BodyProblem, input_problem, query_string_problem
from backend.views import error_response

logger = logging.getLogger("backend.fhir")
CONTENT_TYPE = "application/fhir+json; charset=utf-8"


def fhir_response(body: Any, status: int = 200, headers: dict[str, str] | None = None):
    """An ``application/fhir+json`` response of a JSON-able ``body`` (None: empty)."""
    content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    response = HttpResponse(content, status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def outcome(status: int, code: str, message: str, expression: str | None = None):
    """An OperationOutcome response with one error issue."""
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return outcome_of(status, [issue])


def outcome_of(status: int, issues: list[dict[str, Any]], headers: dict[str, str] | None = None):
    body = {"resourceType": "OperationOutcome", "issue": issues}
    OperationOutcome.model_validate(body)
    return fhir_response(body, status, headers)


class FhirRenderer(BaseRenderer):
    """Declares ``application/fhir+json`` to DRF (the views build their responses)."""

    media_type = "application/fhir+json"
    format = "json"


class BodyLeftToTheView(BaseParser):
    """DRF's parser of every FHIR request body: it reads nothing and gives no data. The
    views read bodies themselves (:func:`backend.fhir.writes._parse_body`, the form of
    ``_search``); DRF's ``request.POST``, which the session CSRF check reads, is then
    empty instead of an ``UnsupportedMediaType`` raised in the middle of that check."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None) -> dict:
        return {}


class AlwaysFhirJson(BaseContentNegotiation):
    """The one format served; ``_format`` other than JSON is refused in :func:`_check_format`."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return BodyLeftToTheView()


#: The JSON media types of FHIR R4 (http.html#mime-type; ``application/json+fhir`` is the
#: DSTU2 name some clients still send).
JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")


def check_parameters(request, allowed: tuple[str, ...], interaction: str) -> None:
    """Raise a 400 FhirError naming the parameter unless every parameter of the URL is
    one of ``allowed`` (the parameters of ``interaction``, a read, a write, …); raise
    :class:`~backend.query_string.QueryStringProblem` (a 400 OperationOutcome) for one
    given twice or without a value (:func:`~backend.query_string.values_of`). A
    parameter that is not one is refused, not ignored (a search checks its own,
    :class:`backend.fhir.search.Search`)."""
    for name in request.GET:
        if name not in allowed:
            raise bad_request(
                f"{name} is not a parameter of {interaction} (parameters: {', '.join(allowed)})."
            )
        values_of(request.GET, name)


def pretty_of(query: QueryDict) -> bool:
    """Whether ``query`` asks for a pretty-printed answer: ``_pretty=true`` (FHIR R4
    http.html#parameters: ``_pretty``, for human convenience); ``false`` or absent:
    compact. Any other value, or the parameter given twice or empty, is a 400."""
    values = values_of(query, "_pretty")
    if values and values[0] not in ("true", "false"):
        raise bad_request(f"_pretty={values[0]}: use true or false.")
    return values == ["true"]


def prettified(response: HttpResponse) -> HttpResponse:
    """``response`` with its JSON body indented (two spaces), for ``_pretty=true``."""
    if response.content:
        body = json.loads(response.content)
        response.content = json.dumps(body, ensure_ascii=False, indent=2).encode()
    return response


def _check_format(request, query: QueryDict | None = None) -> None:
    """Raise a 406 FhirError unless the client takes JSON (a 400 for ``_format`` given
    twice or empty, :func:`~backend.query_string.values_of`): ``_format`` of ``query``
    (default the URL's; it overrides ``Accept``, FHIR R4 http.html#mime-type) is ``json``
    or a JSON type, else ``Accept`` takes FHIR's JSON, or names another of
    :data:`JSON_TYPES` (:func:`backend.media_types.takes`)."""
    formats = values_of(request.GET if query is None else query, "_format")
    fmt = formats[0] if formats else None
    if fmt is not None:
        # any case; an unencoded "+" in a URL arrives as a space
        named = fmt.split(";")[0].strip().lower().replace(" ", "+")
        if named != "json" and named not in JSON_TYPES:
            raise FhirError(406, "not-supported", f"_format={fmt}: only JSON is served.")
        return
    accept = request.headers.get("Accept", "")
    if not takes(accept, JSON_TYPES[0], also=JSON_TYPES[1:]):
        raise FhirError(
            406, "not-supported", f"Accept: {accept}: only JSON is served ({JSON_TYPES[0]})."
        )


class FhirView(BodyChecked, APIView):
    """Authentication as GraphQL's; a body above the limit is refused first (413,
    :class:`~backend.request_body.BodyChecked`); every exception becomes an
    OperationOutcome."""

    authentication_classes = AUTHENTICATION
    permission_classes = ()
    renderer_classes = (FhirRenderer,)
    parser_classes = ()
    content_negotiation_class = AlwaysFhirJson
    schema = None  # described by /fhir/metadata, not by the JSON:API OpenAPI document
    # OPTIONS is no FHIR R4 interaction (http.html; capabilities: GET /fhir/metadata): a
    # 405 like any method a view does not serve, not DRF's metadata (no renderer for it)
    metadata_class = None

    @property
    def allowed_methods(self) -> list[str]:
        """The methods the view serves (``Allow`` of a 405): not OPTIONS (see above)."""
        return [method for method in super().allowed_methods if method != "OPTIONS"]

    def dispatch(self, request, *args: Any, **kwargs: Any):
        """Serve the request with this server's FHIR base known to the references read
        while it lasts (:data:`~backend.fhir.elements.SERVER_BASE`)."""
        token = SERVER_BASE.set(request.build_absolute_uri("/fhir/"))
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            SERVER_BASE.reset(token)

    def initial(self, request, *args: Any, **kwargs: Any) -> None:
        """Before any handler: the request's search parameters (names and values) and
        path parts are checked as a body is (:func:`backend.request_body.input_problem`: no NUL,
        which PostgreSQL cannot compare; bounded in number), and ``_pretty``
        (:func:`pretty_of`); a problem is a 400 OperationOutcome naming it, before any SQL."""
        super().initial(request, *args, **kwargs)
        if problem := query_string_problem(request):
            raise bad_request(problem[1])
        parameters = [[name, *request.GET.getlist(name)] for name in request.GET]
        if problem := input_problem([parameters, [str(part) for part in kwargs.values()]]):
            raise bad_request(problem)
        request.fhir_pretty = pretty_of(request.GET)

    def finalize_response(self, request, response, *args: Any, **kwargs: Any):
        """Every answer, a refusal too: indented for ``_pretty=true`` (:func:`pretty_of`,
        read in :meth:`initial`; a refusal before it is compact), and naming in
        ``Preference-Applied`` the ``Prefer`` the view honoured (RFC 7240 §3)."""
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(request, "fhir_pretty", False):
            response = prettified(response)
        if applied := getattr(request, "fhir_applied", None):
            response.setdefault("Preference-Applied", applied)
        return response

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, _Refused):
            return outcome_of(exc.status, exc.issues)
        if isinstance(exc, FhirError):
            response = outcome(exc.status, exc.code, exc.message, exc.expression)
            for name, value in exc.headers.items():
                response[name] = value
            return response
        if isinstance(exc, QueryStringProblem):
            return outcome(400, "invalid", exc.message)
        if isinstance(exc, BodyProblem):
            return outcome(exc.status, "too-long" if exc.status == 413 else "invalid", exc.message)
        if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
            response = outcome(401, "login", str(exc.detail))
            response["WWW-Authenticate"] = "Bearer"
            return response
        if isinstance(exc, PermissionDenied | drf_exceptions.PermissionDenied):
            return outcome(403, "forbidden", str(exc))
        if isinstance(exc, drf_exceptions.MethodNotAllowed):
            response = outcome(405, "not-supported", str(exc.detail))
            response["Allow"] = ", ".join(self.allowed_methods)  # RFC 9110 §15.5.6
            return response
        if is_database_fault(exc):  # bearer-token authentication's query too
            return error_response(self.request, exc)
        logger.exception("FHIR request failed: %s %s", self.request.method, self.request.path)
        message = f"Unexpected error: {exc!r}" if settings.DEBUG else "Unexpected error."
        return outcome(500, "exception", message)
