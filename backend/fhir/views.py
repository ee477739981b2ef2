"""The FHIR R4 HTTP interface: for each contributed resource type, read, vread, instance
history, search, create, update and delete (``/fhir/metadata``: :mod:`.metadata`).

Every response is ``application/fhir+json`` (indented for ``_pretty=true``); every error
an OperationOutcome with its HTTP status: 400 malformed request (a query-string
parameter the interaction does not take or cannot read, named), 401 not authenticated,
403 permission, 404 unknown (a resource type whatever the method), 405 method (with
``Allow``), 410 deleted, 412 stale ``If-Match``, 415 content type, 422 a rule of the
module's services. Search paging is by offset (``_offset``, in the bundle's links), at
most ``GRAPHQL_MAX_PAGE_SIZE`` per page (``_count`` above it is an error, not cut).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.utils.http import parse_header_parameters
from fhir.resources.R4B.bundle import Bundle

from backend.api_auth import authorize, require_scope
from backend.fhir.errors import FhirError, bad_request
from backend.fhir.prefer import PREFER_HANDLING, PREFER_RETURN, preference
from backend.fhir.resources import FhirResource, fhir_resources
from backend.fhir.responses import (
    FhirView,
    _check_format,
    check_parameters,
    fhir_response,
    pretty_of,
)
from backend.fhir.search import Search
from backend.fhir.summary import Elements
from backend.fhir.versions import (
    Deletion,
    _deleted,
    _etag,
    _instant,
    _parse_id,
    _resource_headers,
    _versions,
    hidden_types,
    not_modified,
    render,
    version_headers,
)
from backend.fhir.writes import (
    _check_body_id,
    _check_if_match,
    _lock,
    _parse_body,
    _write,
    _written_response,
)
from backend.request_body import input_problem, read_text

FORM = "application/x-www-form-urlencoded"
#: The URL parameters of a read, vread and history (R4 http.html#parameters: ``_format``,
#: ``_pretty``; search.html#summary: ``_summary`` and ``_elements`` apply to reads too).
READ_PARAMETERS = ("_format", "_pretty", "_summary", "_elements")
#: The URL parameters of a create, an update and a delete.
OTHER_PARAMETERS = ("_format", "_pretty")


def _resource_or_404(resource_type: str) -> FhirResource:
    resource = fhir_resources().get(resource_type)
    if resource is None:
        raise FhirError(
            404,
            "not-supported",
            f"Resource type {resource_type!r} is not served here; see /fhir/metadata.",
        )
    return resource


class ServedTypeView(FhirView):
    """A view under ``/fhir/<type>``: a method it does not serve is a 405 (with
    ``Allow``) only for a type served here; for any other type a 404, as a GET is."""

    def http_method_not_allowed(self, request, *args: Any, **kwargs: Any):
        if "resource_type" in kwargs:
            _resource_or_404(kwargs["resource_type"])
        return super().http_method_not_allowed(request, *args, **kwargs)


class TypeView(ServedTypeView):
    """``GET /fhir/<type>`` (search) and ``POST /fhir/<type>`` (create)."""

    def get(self, request, resource_type: str):
        return _searched(request, _readable(request, resource_type))

    def post(self, request, resource_type: str):
        resource = _writable(request, resource_type)
        prefer = preference(request, "return", PREFER_RETURN)
        parsed = _parse_body(request, resource)
        row = _write(resource, lambda: resource.create(parsed, user=request.user))
        return _written_response(request, resource, row, 1, prefer, status=201)


class SearchView(ServedTypeView):
    """``POST /fhir/<type>/_search`` (FHIR R4 http.html#search): the search parameters in
    an ``application/x-www-form-urlencoded`` body, with the URL's (both kept: several
    values of one name are ANDed as in a URL); ``GET`` with the URL's alone. Answered as
    ``GET /fhir/<type>`` with the same parameters (the bundle's links are that GET;
    ``_format`` counts from either). See :func:`_with_form` for the body's errors."""

    def get(self, request, resource_type: str):
        return _searched(request, _readable(request, resource_type))

    def post(self, request, resource_type: str):
        resource = _readable(request, resource_type)
        query = _with_form(request)
        _check_format(request, query)
        request.fhir_pretty = pretty_of(query)  # _pretty in the body counts too
        return _searched(request, resource, query)


def _with_form(request) -> QueryDict:
    """The URL's parameters plus those of the ``application/x-www-form-urlencoded`` body,
    which must be UTF-8 (bytes and percent escapes): 415 for another type or charset,
    413 above the body limit (:func:`~backend.request_body.read_text`), 400 for text
    that is not UTF-8, more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS``
    parameters or a NUL character (:func:`~backend.request_body.input_problem`)."""
    media_type, options = parse_header_parameters(request.content_type or "")
    charset = options.get("charset", "utf-8").lower()
    if media_type != FORM or charset not in ("utf-8", "utf8"):
        sent = request.content_type or "nothing"
        raise FhirError(
            415, "not-supported", f"Send the parameters of _search as {FORM} in UTF-8, not {sent}."
        )
    text = read_text(request._request)  # 413 above the limit, 400 bytes not UTF-8
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            errors="strict",
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except UnicodeDecodeError:
        raise bad_request("The _search body is not UTF-8 (its percent escapes).") from None
    except ValueError as error:  # too many fields
        raise bad_request(f"The _search body has too many parameters: {error}.") from None
    query = request.GET.copy()
    for name, value in pairs:
        query.appendlist(name, value)
    if problem := input_problem([[[name, *query.getlist(name)] for name in query]]):
        raise bad_request(problem)
    return query


def _searched(request, resource: FhirResource, query: QueryDict | None = None):
    """The searchset Bundle response of ``resource`` for ``query`` (default the URL's),
    with the ``Prefer: handling`` asked for (R4 search.html#errors: ``strict``, this
    server's default, refuses an unknown search parameter, ``lenient`` ignores it),
    named in ``Preference-Applied`` (RFC 7240 §3)."""
    handling = preference(request, "handling", PREFER_HANDLING)
    if handling is not None:  # on the answer, a refusal too (FhirView.finalize_response)
        request.fhir_applied = f"handling={handling}"
    lenient = handling == "lenient"
    return fhir_response(Search(request, resource, fhir_resources(), query, lenient).bundle())


def _readable(request, resource_type: str) -> FhirResource:
    """The served resource type, once the request may read it (format, permission)."""
    _check_format(request)
    resource = _resource_or_404(resource_type)
    authorize(request, resource.view_permission)
    return resource


def _read(
    request, resource_type: str, key: str, interaction: str = "a read"
) -> tuple[FhirResource, Any, list[Any], Elements]:
    """:func:`_readable`'s resource type, the row and versions of its resource ``key``
    (:func:`~backend.fhir.versions._versions`: 404 for an unknown id), and the elements
    asked for; the URL's parameters are checked first (:data:`READ_PARAMETERS`; a
    problem names the ``interaction``)."""
    resource = _readable(request, resource_type)
    check_parameters(request, READ_PARAMETERS, interaction)
    elements = Elements.from_query(request.GET, resource, search=False)
    row, versions = _versions(resource, _parse_id(resource, key), request.user)
    return resource, row, versions, elements


def _writable(request, resource_type: str) -> FhirResource:
    """The served resource type, once the client takes JSON, the URL has no parameter
    but :data:`OTHER_PARAMETERS`, and a bearer token has the ``write`` scope (the
    services check the user's permissions)."""
    _check_format(request)
    resource = _resource_or_404(resource_type)
    check_parameters(request, OTHER_PARAMETERS, "a write")
    require_scope(request, "write")
    return resource


def _current_response(
    request, resource: FhirResource, row: Any, version: int, elements: Elements | None = None
):
    """The read of ``row`` as ``version``, with its ETag and Last-Modified; a 304
    without a body when the request's conditions say the client has it
    (:func:`~backend.fhir.versions.not_modified`)."""
    headers = _resource_headers(request, resource, row, version)
    if unchanged := not_modified(request, headers):
        return unchanged
    body = render(resource, row, row.uuid, version, hidden=hidden_types(request.user))
    if elements is not None:
        body = elements.apply(body, resource)
    return fhir_response(body, 200, headers)


class InstanceView(ServedTypeView):
    """``GET``/``PUT``/``DELETE /fhir/<type>/<id>``."""

    def get(self, request, resource_type: str, key: str):
        resource, row, versions, elements = _read(request, resource_type, key)
        if row.validity_to is not None:
            raise _deleted(resource_type, key, len(versions), row.validity_to)
        return _current_response(request, resource, row, len(versions), elements)

    def put(self, request, resource_type: str, key: str):
        resource = _writable(request, resource_type)
        prefer = preference(request, "return", PREFER_RETURN)
        key_uuid = _parse_id(resource, key)
        parsed = _parse_body(request, resource)
        _check_body_id(parsed, resource_type, key)
        with transaction.atomic():
            _check_if_match(request, _lock(request, resource, key_uuid, "update"))
            _write(resource, lambda: resource.update(key_uuid, parsed, user=request.user))
        row, versions = _versions(resource, key_uuid, request.user)
        return _written_response(request, resource, row, len(versions), prefer)

    def delete(self, request, resource_type: str, key: str):
        """Delete the resource (204): a new version, its deletion, after the ones it had
        (R4 http.html#delete; :func:`~backend.fhir.versions._versions`), whose ETag
        the answer carries; the versions before it keep answering vread as they were.
        A resource already deleted answers 204 again, with nothing written (no ETag)."""
        resource = _writable(request, resource_type)
        key_uuid = _parse_id(resource, key)
        with transaction.atomic():
            version = _lock(request, resource, key_uuid, "delete", deleted_ok=True)
            if version is not None:  # already deleted: deleting again changes nothing
                _check_if_match(request, version)
                _write(resource, lambda: resource.delete(key_uuid, user=request.user), 409)
        headers = {} if version is None else {"ETag": _etag(version + 1)}
        return fhir_response(None, 204, headers)


class HistoryView(ServedTypeView):
    """``GET /fhir/<type>/<id>/_history``: every version the user may read, newest first,
    under its own number (a version outside the user's districts is left out); the
    version a delete made is an entry without a resource, ``request.method`` ``DELETE``
    (R4 http.html#history)."""

    def get(self, request, resource_type: str, key: str):
        resource, row, versions, elements = _read(request, resource_type, key, "a history read")
        entries, hidden = [], hidden_types(request.user)
        for number, version in reversed(list(enumerate(versions, start=1))):
            if version is None:  # a version the user may not read (district rights)
                continue
            url = f"{resource_type}/{row.uuid}/_history/{number}"
            full_url = request.build_absolute_uri(f"/fhir/{resource_type}/{row.uuid}")
            if isinstance(version, Deletion):
                entries.append(
                    {
                        "fullUrl": full_url,
                        "request": {"method": "DELETE", "url": url},
                        "response": {
                            "status": "204",
                            "etag": _etag(number),
                            "lastModified": _instant(version.at),
                        },
                    }
                )
                continue
            entries.append(
                {
                    "fullUrl": full_url,
                    "resource": elements.apply(
                        render(resource, version, row.uuid, number, hidden=hidden), resource
                    ),
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


class VersionView(ServedTypeView):
    """``GET /fhir/<type>/<id>/_history/<version>`` (vread): the version with its ETag
    and Last-Modified (a 304 as a read's, R4 http.html#cread); 404 for a number the
    resource has no version of, and for a version the user may not read (district
    rights); 410 for the version a delete made (R4 http.html#vread)."""

    def get(self, request, resource_type: str, key: str, version: str):
        resource, row, versions, elements = _read(request, resource_type, key, "a version read")
        if not (version.isascii() and version.isdigit() and 1 <= int(version) <= len(versions)):
            raise FhirError(
                404,
                "not-found",
                f"{resource_type}/{key} has versions 1 to {len(versions)}, not {version!r}.",
            )
        number = int(version)
        if versions[number - 1] is None:
            raise FhirError(
                404,
                "not-found",
                f"{resource_type}/{key} has no version {number} you may read (district rights).",
            )
        found = versions[number - 1]
        if isinstance(found, Deletion):
            raise FhirError(
                410,
                "deleted",
                f"{resource_type}/{key} version {number} is its deletion, at {_instant(found.at)}.",
                headers=version_headers(number, found.at),
            )
        headers = version_headers(number, found.validity_from)
        if unchanged := not_modified(request, headers):
            return unchanged
        body = render(resource, found, row.uuid, number, hidden=hidden_types(request.user))
        return fhir_response(elements.apply(body, resource), headers=headers)
