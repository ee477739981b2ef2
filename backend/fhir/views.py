"""The FHIR R4 HTTP interface: ``/fhir/metadata`` and, for each contributed resource type,
read, vread, instance history, search, create, update and delete.

Every response is ``application/fhir+json``; every error an OperationOutcome with its
HTTP status: 400 malformed request, 401 not authenticated, 403 permission, 404 unknown,
405 method, 410 deleted, 412 stale ``If-Match``, 415 content type, 422 a rule of the
module's services. Search paging is by offset (``_offset``, in the bundle's links), at
most ``GRAPHQL_MAX_PAGE_SIZE`` per page (``_count`` above it is an error, not cut).
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import operator
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import pydantic
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from rest_framework import exceptions as drf_exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.views import APIView

from backend.api_auth import AUTHENTICATION, authorize, require_scope
from backend.errors import ValidationFailed
from backend.fhir import (
    FhirError,
    FhirResource,
    Include,
    SearchParam,
    bad_request,
    date_param,
    fhir_errors,
    fhir_resources,
    token_param,
)
from backend.graphql.connection import count_subquery
from backend.views import input_problem

logger = logging.getLogger("backend.fhir")
CONTENT_TYPE = "application/fhir+json; charset=utf-8"
FHIR_VERSION = "4.0.1"
#: Search control parameters the core reads (all others are the type's own).
CONTROL = {"_count", "_offset", "_sort", "_total", "_include", "_revinclude", "_format"}
#: Parameters some clients send that change no match (fhirpy's ``_totalMethod``, ``_pretty``):
#: ignored, with a warning in the bundle. Any other unknown parameter is an error, since
#: ignoring it would return more than was asked for.
IGNORED = {"_totalMethod", "_pretty"}
#: ``_include:iterate`` follows references at most this many times (a hierarchy's depth).
MAX_ITERATE = 10

COMMON_PARAMS: dict[str, SearchParam] = {
    "_id": token_param(lambda system, code: _uuid_q("uuid", code), documentation="The id."),
    "_lastUpdated": date_param(
        "validity_from", documentation="When the current version was made (validity_from)."
    ),
}


def _uuid_q(field: str, code: str) -> Q:
    try:
        return Q(**{field: uuid.UUID(code)})
    except ValueError:
        return Q(pk__in=[])


# -- responses -------------------------------------------------------------------------------


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


class AlwaysFhirJson(BaseContentNegotiation):
    """The one format served; ``_format`` other than JSON is refused in :func:`_check_format`."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return None


def _check_format(request) -> None:
    fmt = request.GET.get("_format")
    if fmt not in (None, "json", "application/json", "application/fhir+json"):
        raise FhirError(406, "not-supported", f"_format={fmt}: only JSON is served.")


class FhirView(APIView):
    """Authentication as GraphQL's; every exception becomes an OperationOutcome."""

    authentication_classes = AUTHENTICATION
    permission_classes = ()
    renderer_classes = (FhirRenderer,)
    parser_classes = ()
    content_negotiation_class = AlwaysFhirJson
    schema = None  # described by /fhir/metadata, not by the JSON:API OpenAPI document

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, _Refused):
            return outcome_of(exc.status, exc.issues)
        if isinstance(exc, FhirError):
            return outcome(exc.status, exc.code, exc.message, exc.expression)
        if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
            response = outcome(401, "login", str(exc.detail))
            response["WWW-Authenticate"] = "Bearer"
            return response
        if isinstance(exc, PermissionDenied | drf_exceptions.PermissionDenied):
            return outcome(403, "forbidden", str(exc))
        if isinstance(exc, drf_exceptions.MethodNotAllowed):
            return outcome(405, "not-supported", str(exc.detail))
        logger.exception("FHIR request failed: %s %s", self.request.method, self.request.path)
        message = f"Unexpected error: {exc!r}" if settings.DEBUG else "Unexpected error."
        return outcome(500, "exception", message)


# -- versions --------------------------------------------------------------------------------


def _history_count(model: Any) -> Coalesce:
    """Number of history rows of each current row (its version is this + 1)."""
    rows = model._default_manager.filter(legacy_id=OuterRef("pk")).order_by().values("legacy_id")
    counted = rows.annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _current_queryset(resource: FhirResource) -> QuerySet:
    """Current rows (not deleted, not history), with what :meth:`to_fhir` reads."""
    model = resource.get_model()
    return model._default_manager.filter(validity_to__isnull=True).select_related(*resource.related)


def _with_versions(queryset: QuerySet) -> QuerySet:
    """``queryset`` with each row's number of history rows (``_fhir_history``)."""
    return queryset.annotate(_fhir_history=_history_count(queryset.model))


def _versions(resource: FhirResource, key: uuid.UUID) -> tuple[Any, list[Any]]:
    """The resource's current (or deleted) row and all its versions, oldest first.

    Raises a 404 FhirError when no resource has this id.
    """
    model = resource.get_model()
    row = (
        model._default_manager.select_related(*resource.related)
        .filter(uuid=key, legacy__isnull=True)
        .first()
    )
    if row is None:
        raise FhirError(404, "not-found", f"No {resource.resource_type} has id {key}.")
    history = list(
        model._default_manager.select_related(*resource.related)
        .filter(legacy_id=row.pk)
        .order_by("validity_to", "pk")
    )
    return row, [*history, row]


def render(resource: FhirResource, row: Any, resource_id: uuid.UUID, version: int) -> dict:
    """The served resource of ``row``: the module's mapping plus ``id`` and ``meta``,
    validated with the type's fhir.resources class (unless ``FHIR_VALIDATE_RESPONSES``
    is off: the validation is some 40 % of a search's time)."""
    body = {
        "resourceType": resource.resource_type,
        "id": str(resource_id),
        "meta": {"versionId": str(version), "lastUpdated": _instant(row.validity_from)},
        **resource.to_fhir(row, resource_id),
    }
    if settings.FHIR_VALIDATE_RESPONSES:
        resource.fhir_model.model_validate(body)
    return body


def render_current(resource: FhirResource, row: Any) -> dict:
    """:func:`render` of a row from :func:`_current_queryset`."""
    return render(resource, row, row.uuid, row._fhir_history + 1)


def _instant(moment) -> str:
    return timezone.localtime(moment, datetime.UTC).isoformat().replace("+00:00", "Z")


def _etag(version: int) -> str:
    return f'W/"{version}"'


def _resource_headers(request, resource: FhirResource, row: Any, version: int) -> dict:
    return {
        "ETag": _etag(version),
        "Last-Modified": row.validity_from.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "Location": request.build_absolute_uri(
            f"/fhir/{resource.resource_type}/{row.uuid}/_history/{version}"
        ),
    }


def _parse_id(resource: FhirResource, value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise FhirError(
            404, "not-found", f"No {resource.resource_type} has id {value!r} (ids are uuids)."
        ) from None


# -- bodies ------------------------------------------------------------------------------------


def _parse_body(request, resource: FhirResource) -> Any:
    """The request body as a validated fhir.resources instance of the resource's type.

    Raises 415 for another content type, 400 for malformed JSON or a resource the FHIR
    model refuses (every problem named with its element).
    """
    content_type = request.content_type.split(";")[0].strip()
    if content_type not in ("application/fhir+json", "application/json"):
        raise FhirError(
            415, "not-supported", f"Send application/fhir+json, not {content_type or 'nothing'}."
        )
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise bad_request(f"The body is not JSON: {error}.") from None
    if not isinstance(data, dict) or data.get("resourceType") != resource.resource_type:
        got = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise bad_request(f"The body must be a {resource.resource_type} resource, not {got!r}.")
    problem = input_problem(data)  # NUL characters, too many values, too deep (as GraphQL)
    if problem:
        raise bad_request(problem)
    try:
        return resource.fhir_model.model_validate(data)
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or resource.resource_type}: {e['msg']}"
            for e in error.errors()
        )
        raise bad_request(f"Not a valid {resource.resource_type}: {problems}") from None


def _check_if_match(request, version: int) -> None:
    expected = request.headers.get("If-Match")
    if expected is not None and expected.strip() not in (_etag(version), f'"{version}"'):
        raise FhirError(
            412,
            "conflict",
            f"If-Match {expected} does not match the current version {_etag(version)}: "
            "read the resource again and reapply the change.",
        )


def _write(resource: FhirResource, action, status: int = 422) -> Any:
    """Run a service call ``action()``; the rules it breaks are an OperationOutcome with
    ``status`` (422, or 409 for a delete another rule refuses)."""
    try:
        return action()
    except ValidationFailed as error:
        raise _Refused(status, fhir_errors(error, resource)) from None


class _Refused(FhirError):
    """The services refused a write: one OperationOutcome issue per rule broken."""

    def __init__(self, status: int, issues: list[dict[str, Any]]):
        super().__init__(status, "invalid", "; ".join(i["diagnostics"] for i in issues))
        self.issues = issues


# -- views ---------------------------------------------------------------------------------


class MetadataView(FhirView):
    """``GET /fhir/metadata``: the CapabilityStatement of what the active modules serve
    (open to anonymous callers: it holds no data)."""

    def get(self, request):
        _check_format(request)
        resources = fhir_resources()
        body = {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": timezone.now().date().isoformat(),
            "kind": "instance",
            "fhirVersion": FHIR_VERSION,
            "format": ["application/fhir+json", "json"],
            "implementation": {
                "description": "openIMIS GraphQL backend: FHIR R4 surface",
                "url": request.build_absolute_uri("/fhir"),
            },
            "rest": [
                {
                    "mode": "server",
                    "security": {
                        "description": "OAuth2 bearer token (scopes read, write; token "
                        "endpoint /o/token/) or a Django session with its CSRF token."
                    },
                    "resource": [_capabilities(r, resources) for r in resources.values()],
                }
            ],
        }
        CapabilityStatement.model_validate(body)
        return fhir_response(body)


def _capabilities(resource: FhirResource, resources: dict[str, FhirResource]) -> dict:
    params = {**COMMON_PARAMS, **resource.search_params}
    return {
        "type": resource.resource_type,
        "documentation": resource.documentation or None,
        "interaction": [
            {"code": code}
            for code in ("read", "vread", "update", "delete", "history-instance", "create")
        ]
        + [{"code": "search-type"}],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": False,
        "conditionalCreate": False,
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchInclude": [i.key for i in resource.includes],
        "searchRevInclude": [i.key for i in _revincludes(resource, resources)],
        "searchParam": [
            {"name": name, "type": param.type, "documentation": param.documentation}
            for name, param in params.items()
        ],
    }


def _revincludes(resource: FhirResource, resources: dict[str, FhirResource]) -> list[Include]:
    return [
        include
        for other in resources.values()
        for include in other.includes
        if include.target == resource.resource_type
    ]


def _resource_or_404(resource_type: str) -> FhirResource:
    resource = fhir_resources().get(resource_type)
    if resource is None:
        raise FhirError(
            404,
            "not-supported",
            f"Resource type {resource_type!r} is not served here; see /fhir/metadata.",
        )
    return resource


class TypeView(FhirView):
    """``GET /fhir/<type>`` (search) and ``POST /fhir/<type>`` (create)."""

    def get(self, request, resource_type: str):
        resource = _readable(request, resource_type)
        return fhir_response(Search(request, resource, fhir_resources()).bundle())

    def post(self, request, resource_type: str):
        resource = _writable(request, resource_type)
        parsed = _parse_body(request, resource)
        row = _write(resource, lambda: resource.create(parsed, user=request.user))
        return _current_response(request, resource, row, 1, status=201)


def _readable(request, resource_type: str) -> FhirResource:
    """The served resource type, once the request may read it (format, permission)."""
    _check_format(request)
    resource = _resource_or_404(resource_type)
    authorize(request, resource.view_permission)
    return resource


def _writable(request, resource_type: str) -> FhirResource:
    """The served resource type, once a bearer token has the ``write`` scope (the
    services check the user's permissions)."""
    resource = _resource_or_404(resource_type)
    require_scope(request, "write")
    return resource


def _current_response(request, resource: FhirResource, row: Any, version: int, status=200):
    body = render(resource, row, row.uuid, version)
    return fhir_response(body, status, _resource_headers(request, resource, row, version))


class InstanceView(FhirView):
    """``GET``/``PUT``/``DELETE /fhir/<type>/<id>``."""

    def get(self, request, resource_type: str, key: str):
        resource = _readable(request, resource_type)
        row, versions = _versions(resource, _parse_id(resource, key))
        if row.validity_to is not None:
            raise FhirError(410, "deleted", f"{resource_type}/{key} was deleted.")
        return _current_response(request, resource, row, len(versions))

    def put(self, request, resource_type: str, key: str):
        resource = _writable(request, resource_type)
        key_uuid = _parse_id(resource, key)
        parsed = _parse_body(request, resource)
        if parsed.id is not None and parsed.id != key:
            raise bad_request(
                f"The body's id {parsed.id!r} is not the id in the URL ({key}).",
                f"{resource_type}.id",
            )
        with transaction.atomic():
            _check_if_match(request, self._lock(resource, key_uuid))
            _write(resource, lambda: resource.update(key_uuid, parsed, user=request.user))
        row, versions = _versions(resource, key_uuid)
        return _current_response(request, resource, row, len(versions))

    def delete(self, request, resource_type: str, key: str):
        resource = _writable(request, resource_type)
        key_uuid = _parse_id(resource, key)
        with transaction.atomic():
            version = self._lock(resource, key_uuid, deleted_ok=True)
            if version is not None:  # already deleted: deleting again changes nothing
                _check_if_match(request, version)
                _write(resource, lambda: resource.delete(key_uuid, user=request.user), 409)
        return fhir_response(None, 204)

    @staticmethod
    def _lock(resource: FhirResource, key: uuid.UUID, deleted_ok: bool = False) -> int | None:
        """Lock the resource's current row for this transaction; its version number.

        404 when no resource has the id, 410 when it was deleted (None if ``deleted_ok``).
        """
        model = resource.get_model()
        row = model._default_manager.select_for_update().filter(uuid=key, legacy__isnull=True)
        row = row.first()
        if row is None:
            raise FhirError(404, "not-found", f"No {resource.resource_type} has id {key}.")
        if row.validity_to is not None:
            if deleted_ok:
                return None
            raise FhirError(410, "deleted", f"{resource.resource_type}/{key} was deleted.")
        return model._default_manager.filter(legacy_id=row.pk).count() + 1


class HistoryView(FhirView):
    """``GET /fhir/<type>/<id>/_history``: every version, newest first."""

    def get(self, request, resource_type: str, key: str):
        resource = _readable(request, resource_type)
        row, versions = _versions(resource, _parse_id(resource, key))
        entries = []
        for number, version in reversed(list(enumerate(versions, start=1))):
            url = f"{resource_type}/{row.uuid}/_history/{number}"
            entries.append(
                {
                    "fullUrl": request.build_absolute_uri(f"/fhir/{resource_type}/{row.uuid}"),
                    "resource": render(resource, version, row.uuid, number),
                    "request": {"method": "POST" if number == 1 else "PUT", "url": url},
                    "response": {"status": "200", "etag": _etag(number)},
                }
            )
        bundle = {
            "resourceType": "Bundle",
            "type": "history",
            "total": len(entries),
            "link": [{"relation": "self", "url": request.build_absolute_uri()}],
            "entry": entries,
        }
        Bundle.model_validate(bundle)
        return fhir_response(bundle)


class VersionView(FhirView):
    """``GET /fhir/<type>/<id>/_history/<version>`` (vread)."""

    def get(self, request, resource_type: str, key: str, version: str):
        resource = _readable(request, resource_type)
        row, versions = _versions(resource, _parse_id(resource, key))
        if not (version.isascii() and version.isdigit() and 1 <= int(version) <= len(versions)):
            raise FhirError(
                404,
                "not-found",
                f"{resource_type}/{key} has versions 1 to {len(versions)}, not {version!r}.",
            )
        number = int(version)
        body = render(resource, versions[number - 1], row.uuid, number)
        return fhir_response(body, headers={"ETag": _etag(number)})


# -- search --------------------------------------------------------------------------------


class Search:
    """One search of ``resource`` from the request's parameters (FHIR search rules).

    Constant SQL queries per page: one for the page (its total as a subquery, each
    row's version as a subquery), one per ``_include``/``_revinclude`` (and per
    iteration of ``:iterate``).
    """

    def __init__(self, request, resource: FhirResource, resources: dict[str, FhirResource]):
        self.request, self.resource, self.resources = request, resource, resources
        self.params = {**COMMON_PARAMS, **resource.search_params}
        query = request.GET
        self.count = self._int("_count", settings.GRAPHQL_DEFAULT_PAGE_SIZE, 0)
        if self.count > settings.GRAPHQL_MAX_PAGE_SIZE:
            raise bad_request(
                f"_count={self.count} is above the maximum page size "
                f"{settings.GRAPHQL_MAX_PAGE_SIZE} (GRAPHQL_MAX_PAGE_SIZE)."
            )
        self.offset = self._int("_offset", 0, 0)
        self.total = query.get("_total", "accurate")
        if self.total not in ("none", "estimate", "accurate"):
            raise bad_request(f"_total={self.total}: use none, estimate or accurate.")
        self.includes = self._includes("_include", resource.includes)
        self.revincludes = self._includes("_revinclude", _revincludes(resource, resources))

    def _int(self, name: str, default: int, minimum: int) -> int:
        text = self.request.GET.get(name)
        if text is None:
            return default
        if not (text.isascii() and text.isdigit()) or int(text) < minimum or len(text) > 9:
            raise bad_request(f"{name}={text!r} is not a whole number of at least {minimum}.")
        return int(text)

    def _includes(self, name: str, known: Iterable[Include]) -> list[tuple[Include, bool]]:
        by_key = {i.key: i for i in known}
        chosen = []
        for parameter in (name, f"{name}:iterate"):
            for value in self.request.GET.getlist(parameter):
                key = value if value.count(":") == 1 else value.rsplit(":", 1)[0]
                if key not in by_key:
                    raise bad_request(
                        f"{parameter}={value}: not supported on {self.resource.resource_type} "
                        f"(supported: {', '.join(by_key) or 'none'})."
                    )
                chosen.append((by_key[key], parameter.endswith(":iterate")))
        return chosen

    def queryset(self) -> QuerySet:
        queryset = _current_queryset(self.resource)
        for name in self.request.GET:
            base, _, modifier = name.partition(":")
            if base in CONTROL or base in IGNORED:
                continue
            param = self.params.get(base)
            if param is None:
                raise bad_request(
                    f"Unknown search parameter {name!r} for {self.resource.resource_type} "
                    f"(supported: {', '.join(sorted(self.params))})."
                )
            for value in self.request.GET.getlist(name):  # several parameters: AND
                alternatives = [v for v in value.split(",") if v]  # commas: OR
                if not alternatives:
                    raise bad_request(f"The search parameter {name!r} has no value.")
                matches = [param.apply(queryset, a, modifier or None) for a in alternatives]
                queryset = functools.reduce(operator.or_, matches)
        return queryset.order_by(*self._ordering())

    def _ordering(self) -> list[str]:
        sort = {"_id": "uuid", "_lastUpdated": "validity_from", **self.resource.sort}
        ordering = []
        for name in (n for v in self.request.GET.getlist("_sort") for n in v.split(",") if n):
            field = sort.get(name.lstrip("-"))
            if field is None:
                raise bad_request(
                    f"_sort={name}: sort by one of {', '.join(sorted(sort))} (prefix - to reverse)."
                )
            ordering.append(f"-{field}" if name.startswith("-") else field)
        model_ordering = list(self.resource.get_model()._meta.ordering)
        return [*ordering, *(f for f in model_ordering if f not in ordering), "pk"]

    def bundle(self) -> dict:
        queryset = _with_versions(self.queryset())
        if self.total != "none":
            queryset = queryset.annotate(_fhir_total=count_subquery(self.queryset()))
        rows = list(queryset[self.offset : self.offset + self.count + 1]) if self.count else []
        has_next = len(rows) > self.count
        rows = rows[: self.count]
        total = None
        if self.total != "none":  # counted in the page's query; by itself for an empty page
            total = rows[0]._fhir_total if rows else self.queryset().count()
        entries = [self._entry(self.resource, row, "match") for row in rows]
        entries += self._included(rows)
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "link": self._links(has_next),
            "entry": entries,
        }
        if total is not None:
            bundle["total"] = total
        ignored = sorted(name for name in self.request.GET if name in IGNORED)
        if ignored:
            issue = {
                "severity": "warning",
                "code": "not-supported",
                "diagnostics": f"Ignored: {', '.join(ignored)}.",
            }
            bundle["entry"].append(
                {
                    "resource": {"resourceType": "OperationOutcome", "issue": [issue]},
                    "search": {"mode": "outcome"},
                }
            )
        Bundle.model_validate({**bundle, "entry": []})  # each resource validated on render
        return bundle

    def _entry(self, resource: FhirResource, row: Any, mode: str) -> dict:
        return {
            "fullUrl": self.request.build_absolute_uri(
                f"/fhir/{resource.resource_type}/{row.uuid}"
            ),
            "resource": render_current(resource, row),
            "search": {"mode": mode},
        }

    def _included(self, rows: list[Any]) -> list[dict]:
        """Entries of ``_include`` and ``_revinclude`` (each resource once)."""
        seen = {(self.resource.resource_type, row.pk) for row in rows}
        entries = []
        frontier = {self.resource.resource_type: rows}
        for _round in range(MAX_ITERATE):
            found: dict[str, list[Any]] = {}
            for include, iterate in self.includes:
                if _round and not iterate:
                    continue
                keys = {getattr(r, include.attname) for r in frontier.get(include.source, ())}
                keys.discard(None)
                target = self.resources.get(include.target)
                if keys and target is not None:
                    found.setdefault(include.target, []).extend(
                        _current_or_deleted(target).filter(pk__in=keys)
                    )
            if _round == 0:
                for include, _iterate in self.revincludes:
                    source = self.resources[include.source]
                    keys = [r.pk for r in rows]
                    if keys:
                        matches = _current_queryset(source).filter(
                            **{f"{include.attname}__in": keys}
                        )
                        found.setdefault(include.source, []).extend(_with_versions(matches))
            frontier = {}
            for resource_type, found_rows in found.items():
                for row in found_rows:
                    if (resource_type, row.pk) not in seen:
                        seen.add((resource_type, row.pk))
                        frontier.setdefault(resource_type, []).append(row)
                        entries.append(self._entry(self.resources[resource_type], row, "include"))
            if not frontier:
                break
        return entries

    def _links(self, has_next: bool) -> list[dict]:
        def url(offset: int) -> str:
            pairs = [(k, v) for k in self.request.GET for v in self.request.GET.getlist(k)]
            pairs = [(k, v) for k, v in pairs if k not in ("_offset", "_count")]
            pairs += [("_count", str(self.count)), ("_offset", str(offset))]
            path = f"/fhir/{self.resource.resource_type}?{urlencode(pairs)}"
            return self.request.build_absolute_uri(path)

        links = [{"relation": "self", "url": url(self.offset)}]
        if has_next:
            links.append({"relation": "next", "url": url(self.offset + self.count)})
        if self.offset:
            links.append({"relation": "previous", "url": url(max(0, self.offset - self.count))})
            links.append({"relation": "first", "url": url(0)})
        return links


def _current_or_deleted(resource: FhirResource) -> QuerySet:
    """Rows an include may reach (never history rows: a reference names a resource)."""
    model = resource.get_model()
    rows = model._default_manager.filter(legacy__isnull=True).select_related(*resource.related)
    return _with_versions(rows)
