"""The write side of the FHIR views: request bodies and their id, ``If-Match`` against
the version's ETag, the row lock, the services' refusals as OperationOutcome issues,
and the answer to a write as the client's ``Prefer`` asks."""

from __future__ import annotations

import uuid
from typing import Any

import pydantic

from backend.errors import ValidationFailed
from backend.fhir.errors import FhirError, _Refused, bad_request, fhir_errors, validation_problems
from backend.fhir.resources import FhirResource
from backend.fhir.responses import fhir_response, outcome_of
from backend.fhir.versions import (
    _deleted,
    _etag,
    _not_found,
    _resource_headers,
    entity_tags,
    hidden_types,
    render,
    weakly_matches,
)
from backend.fhir.writable import parse_resource
from backend.json_text import json_kind
from backend.permissions import require_permission
from backend.request_body import input_problem, read_json
from backend.rights import visible


def _parse_body(request, resource: FhirResource) -> Any:
    """The request body as a validated fhir.resources instance of the resource's type.

    Raises 415 for another content type, :class:`~backend.request_body.BodyProblem` for
    a body too large (413) or unreadable (400), 400 for a resource the FHIR model refuses
    (every problem named with its element), 422 for an element the resource type does
    not store or a value of it the server cannot keep
    (:func:`~backend.fhir.writable.parse_resource`).
    """
    content_type = request.content_type.split(";")[0].strip()
    if content_type not in ("application/fhir+json", "application/json"):
        raise FhirError(
            415, "not-supported", f"Send application/fhir+json, not {content_type or 'nothing'}."
        )
    data = read_json(request)  # 413 too large, 400 not UTF-8, not JSON, too deep
    expected = resource.resource_type
    if not isinstance(data, dict):
        raise bad_request(
            f"The body must be a {expected} resource (a JSON object), not {json_kind(data)}."
        )
    if "resourceType" not in data:
        raise bad_request(
            f'The body has no resourceType; send a {expected} resource ("resourceType": '
            f'"{expected}").'
        )
    got = data["resourceType"]
    if got != expected:
        got = repr(got) if isinstance(got, str) else json_kind(got)
        raise bad_request(f"The body must be a {expected} resource, not {got}.")
    problem = input_problem(data)  # NUL characters, too many values, too deep (as GraphQL)
    if problem:
        raise bad_request(problem)
    try:
        return parse_resource(resource, data)  # 422 for an element it would lose
    except pydantic.ValidationError as error:
        problems = validation_problems(error, resource.resource_type)
        raise bad_request(f"Not a valid {resource.resource_type}: {problems}") from None


def _check_if_match(request, version: int) -> None:
    """Refuse the write unless its ``If-Match`` (when sent) holds the current
    ``version``'s ETag (R4 http.html#concurrency), compared weakly as FHIR's weak ETags
    ask (``"2"`` matches ``W/"2"``), or is ``*`` (the resource exists): 412 for tags that
    do not match; 400 naming the header for a value that is no entity-tag list (RFC 9110
    §13.1.1, :func:`~backend.fhir.versions.entity_tags`), a client error to fix rather
    than a precondition that failed."""
    expected = request.headers.get("If-Match")
    if expected is None:
        return
    tags = entity_tags(expected)
    if tags is None:
        raise bad_request(
            f"If-Match {expected!r} is not an entity tag list: send the version's ETag as "
            f"the read gave it ({_etag(version)}), several separated by commas, or *."
        )
    if not weakly_matches(tags, _etag(version)):
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


def _lock(
    request, resource: FhirResource, key: uuid.UUID, interaction: str, deleted_ok: bool = False
) -> int | None:
    """Lock the resource's current row for this transaction; its version number.

    In this order, so that no answer tells more than the one before it allows: 403
    unless the user holds the permission of ``interaction`` (``update``, ``delete``);
    403 naming the type's view permission, whatever the id, unless the user may view the
    type (:func:`backend.rights.visible`: an existing and an unknown id get one answer);
    404 when no resource the user may read has the id (one outside their districts is
    unknown; an unknown id is a 404 on update too, R4 http.html#update: this server does
    not create on update, ``updateCreate`` false); 410 when it was deleted (None if
    ``deleted_ok``). The caller compares ``If-Match`` with the version only then.
    """
    require_permission(request.user, resource.write_permission(interaction))
    model = resource.get_model()
    rows = visible(model, request.user, action=f"name a {model._meta.verbose_name}")
    row = rows.select_for_update().filter(uuid=key, legacy__isnull=True).first()
    if row is None:
        raise _not_found(resource, key)
    if row.validity_to is not None and deleted_ok:
        return None  # no version to compare: nothing is written
    versions = model._default_manager.filter(legacy_id=row.pk).count() + 1
    if row.validity_to is not None:
        raise _deleted(resource.resource_type, key, versions + 1, row.validity_to)
    return versions


def _check_body_id(parsed: Any, resource_type: str, key: str) -> None:
    """Raise a 400 FhirError (at ``<type>.id``) unless the body of an update has an id
    equal to the URL's ``key``, as sent: FHIR R4 http.html#update, "The request body
    SHALL be a Resource with an id element that has an identical value to the [id] in
    the URL. If no id element is provided, or the id disagrees with the id in the URL,
    the server SHALL respond with an HTTP 400 error code"."""
    if parsed.id is None:
        raise bad_request(
            f"The body has no id: an update's body needs the id in the URL ({key}).",
            f"{resource_type}.id",
        )
    if parsed.id != key:
        raise bad_request(
            f"The body's id {parsed.id!r} is not the id in the URL ({key}).",
            f"{resource_type}.id",
        )


def _written_response(
    request, resource: FhirResource, row: Any, version: int, prefer: str | None, status=200
):
    """The answer to a create (201) or update (200) of ``row``: its headers (ETag,
    Last-Modified; a create's ``Location``, an update's ``Content-Location``: R4 http.html#create
    gives ``Location`` to a 201 alone) and, as ``prefer``
    (:func:`~backend.fhir.prefer.preference`) asks, the resource (the default), no body, or
    an OperationOutcome saying what was done; ``Preference-Applied`` names the preference
    honoured (RFC 7240 §3)."""
    headers = _resource_headers(request, resource, row, version)
    if status == 201:
        headers["Location"] = headers.pop("Content-Location")
    if prefer is not None:
        headers["Preference-Applied"] = f"return={prefer}"
    if prefer == "minimal":
        return fhir_response(None, status, headers)
    if prefer == "OperationOutcome":
        done = "Created" if status == 201 else "Updated"
        issue = {
            "severity": "information",
            "code": "informational",
            "diagnostics": f"{done} {resource.resource_type}/{row.uuid} (version {version}).",
        }
        return outcome_of(status, [issue], headers)
    body = render(resource, row, row.uuid, version, hidden=hidden_types(request.user))
    return fhir_response(body, status, headers)
