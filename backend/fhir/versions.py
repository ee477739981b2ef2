"""Versions of a resource and their rendering: version *n* is the *n*-th history row
(oldest first), the current row is the last; ``meta``, ETag and headers of a version."""

from __future__ import annotations

import copy
import datetime
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import http_date, parse_etags, parse_http_date_safe

from backend.fhir.errors import FhirError
from backend.fhir.resources import FhirResource, fhir_resources
from backend.fhir.responses import fhir_response
from backend.ids import is_uuid, parse_id
from backend.references import with_reference_flags, without_unreadable
from backend.rights import placement_of, readable, scope


def _history_count(model: Any) -> Coalesce:
    """Number of history rows of each current row (its version is this + 1)."""
    rows = model._default_manager.filter(legacy_id=OuterRef("pk")).order_by().values("legacy_id")
    counted = rows.annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _rows(resource: FhirResource, user: Any) -> QuerySet:
    """Every row of the resource's model (any version) that ``user`` may read (district
    rights, :func:`backend.rights.readable`; ``user`` None: an operator's command, every
    row), with what :meth:`to_fhir` reads."""
    rows = resource.get_model()._default_manager.select_related(*resource.related)
    return rows if user is None else _with_reference_rights(readable(rows, user), resource, user)


def _with_reference_rights(rows: QuerySet, resource: FhirResource, user: Any) -> QuerySet:
    """``rows`` annotated, for each foreign key to a row of a placed model that the
    mapping reads (:func:`_referring_keys`: ``"location"``, a location's ``"parent"``),
    with whether ``user`` may read the row it refers to (``_readable_<keyword>``, a
    correlated ``EXISTS``: no query more, :func:`backend.references.reference_readable`),
    unless the rows' own placement implies it (checked on history versions only for a
    location's ``partOf``: a former parent may be outside the user's rights) or nothing
    restricts the user; :func:`render` leaves out a reference to a row the user may not
    read."""
    return with_reference_flags(rows, _foreign_keys(rows.model, resource), user)


def _referring_keys(resource: FhirResource) -> list[str]:
    """The foreign keys the mapping may read a referred row through: each reference
    keyword (:attr:`FhirResource.references`) and the first step of each
    ``select_related`` path (:attr:`FhirResource.related`), once each."""
    steps = (path.partition("__")[0] for path in resource.related)
    return list(dict.fromkeys([*resource.references, *steps]))


def _foreign_key(model: Any, name: str) -> Any:
    """The foreign key ``name`` of ``model`` to a placed model, or None."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not field.many_to_one or placement_of(field.related_model) is None:
        return None
    return field


def _without_unreadable(resource: FhirResource, row: Any) -> Any:
    """``row``, or a copy of it without the references :func:`_with_reference_rights`
    found unreadable (:func:`backend.references.without_unreadable`: the mapping leaves the
    reference out)."""
    return without_unreadable(row, _foreign_keys(type(row), resource))


def _foreign_keys(model: Any, resource: FhirResource) -> list[Any]:
    """The foreign keys of ``model`` (the resource's) to placed models that the mapping
    reads (:func:`_referring_keys`)."""
    found = (_foreign_key(model, key) for key in _referring_keys(resource))
    return [relation for relation in found if relation is not None]


def _current_queryset(resource: FhirResource, user: Any) -> QuerySet:
    """Current rows (not deleted, not history) ``user`` may read, as :func:`_rows`."""
    return _rows(resource, user).current()


def _current_or_deleted(resource: FhirResource, user: Any) -> QuerySet:
    """Rows an id or a reference may name: current or deleted, never history rows (a
    history row has an id of its own that no resource has), as :func:`_rows`."""
    return _rows(resource, user).filter(legacy__isnull=True)


def _not_found(resource: FhirResource, key: uuid.UUID | str) -> FhirError:
    """The 404 of an id no resource of the type has."""
    return FhirError(404, "not-found", f"No {resource.resource_type} has id {key}.")


def _deleted(resource_type: str, key: Any, version: int, at: datetime.datetime) -> FhirError:
    """The 410 of a deleted resource, whose deletion is ``version``, at ``at``
    (:func:`version_headers`)."""
    message = f"{resource_type}/{key} was deleted."
    return FhirError(410, "deleted", message, headers=version_headers(version, at))


def version_headers(version: int, at: datetime.datetime) -> dict[str, str]:
    """The ``ETag`` and ``Last-Modified`` of ``version``, made at ``at``: of a read or
    vread, and of the 410 of a deleted resource or its deletion version, which names the
    deletion (R4 http.html#read: a server MAY send an ETag with the 410 of a deleted
    resource; the delete's own answer and the history name the same version)."""
    return {"ETag": _etag(version), "Last-Modified": _http_date(at)}


def _with_versions(queryset: QuerySet) -> QuerySet:
    """``queryset`` with each row's number of history rows (``_fhir_history``)."""
    return queryset.annotate(_fhir_history=_history_count(queryset.model))


@dataclass(frozen=True)
class Deletion:
    """The version a delete made (FHIR R4 http.html#delete: a delete is a new version
    of the resource, without content; #history lists it with ``request.method``
    ``DELETE``; #vread answers it with a 410). ``at``: when (the deleted row's
    ``validity_to``)."""

    at: datetime.datetime


def _versions(resource: FhirResource, key: uuid.UUID, user: Any) -> tuple[Any, list[Any]]:
    """The resource's current (or deleted) row and all its versions, oldest first (the
    version number is the position, counted from 1, the same for every user): each one
    ``user`` may read (:func:`_rows`: a version is placed by its own values, as on every
    surface), None in the place of one they may not.

    The versions are the history rows (oldest first), then the row itself; a deleted
    row (``validity_to`` set, :func:`backend.versioning.soft_delete`) is two: the
    version it was until the delete, as it was then (a copy with ``validity_to`` None:
    served ``active``, as it was read before the delete), and a :class:`Deletion` at
    its ``validity_to``. So a delete adds a version and changes none (R4
    http.html#delete), within what the rows store.

    Raises a 404 FhirError when no resource ``user`` may read has this id. Two queries
    (three for a user restricted by district rights).
    """
    row = _current_or_deleted(resource, user).filter(uuid=key).first()
    if row is None:
        raise _not_found(resource, key)
    history = _rows(resource, None).filter(legacy_id=row.pk).order_by("validity_to", "pk")
    if user is not None:
        history = _with_reference_rights(history, resource, user)
    rule = None if user is None else scope(history.model, user)
    kept = None if rule is None else set(history.filter(rule).values_list("pk", flat=True))
    versions = [r if kept is None or r.pk in kept else None for r in history]
    if row.validity_to is None:
        return row, [*versions, row]
    before = copy.copy(row)
    before.validity_to = None
    return row, [*versions, before, Deletion(row.validity_to)]


def render(
    resource: FhirResource,
    row: Any,
    resource_id: uuid.UUID,
    version: int,
    *,
    hidden: frozenset[str] = frozenset(),
) -> dict:
    """The served resource of ``row``: the module's mapping plus ``id`` and ``meta``,
    without the references to the resource types in ``hidden`` (those the user may not
    view, :func:`hidden_types`; an extension holding one goes with it) and to the rows
    :func:`_with_reference_rights` found unreadable, validated with
    the type's fhir.resources class (unless ``FHIR_VALIDATE_RESPONSES`` is off: the
    validation is some 40 % of a search's time)."""
    body = {
        "resourceType": resource.resource_type,
        "id": str(resource_id),
        "meta": {"versionId": str(version), "lastUpdated": _instant(row.validity_from)},
        **resource.to_fhir(_without_unreadable(resource, row), resource_id),
    }
    if hidden:
        body = _without_references(body, hidden)
    if settings.FHIR_VALIDATE_RESPONSES:
        resource.fhir_model.model_validate(body)
    return body


def render_current(resource: FhirResource, row: Any, *, hidden: frozenset[str] = frozenset()):
    """:func:`render` of a row from :func:`_current_queryset`."""
    return render(resource, row, row.uuid, row._fhir_history + 1, hidden=hidden)


def hidden_types(user: Any) -> frozenset[str]:
    """The served resource types ``user`` may not view (their view permission): a
    resource served to ``user`` keeps no reference to them, so that nothing of such a
    resource, not even its id, reaches the user. ``user`` None (an operator's command):
    none."""
    if user is None:
        return frozenset()
    return frozenset(
        name
        for name, served in fhir_resources().items()
        if not user.has_perm(served.view_permission)
    )


_REMOVED = object()


def _without_references(value: Any, hidden: frozenset[str]) -> Any:
    """``value`` (a resource's JSON) without its references (``{"reference":
    "<Type>/<id>"}``) to the types in ``hidden``: a list drops them, an object drops the
    element holding one, and an extension (an object with ``url``) whose ``value[x]``
    was dropped is dropped whole; an emptied list or element is dropped too."""
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str) and reference.partition("/")[0] in hidden:
            return _REMOVED
        kept = {}
        for name, item in value.items():
            item = _without_references(item, hidden)
            if item is _REMOVED:
                if "url" in value and name.startswith("value"):
                    return _REMOVED  # an extension without its value
                continue
            kept[name] = item
        return kept
    if isinstance(value, list):
        items = [_without_references(item, hidden) for item in value]
        items = [item for item in items if item is not _REMOVED]
        return items if items or not value else _REMOVED
    return value


def _instant(moment) -> str:
    return timezone.localtime(moment, datetime.UTC).isoformat().replace("+00:00", "Z")


def _etag(version: int) -> str:
    return f'W/"{version}"'


def _http_date(moment: datetime.datetime) -> str:
    """``moment`` as an HTTP date (RFC 9110 §5.6.7, whole seconds, GMT)."""
    return http_date(moment.timestamp())


def _resource_headers(request, resource: FhirResource, row: Any, version: int) -> dict:
    """The headers of an answer carrying ``row`` as ``version``: ``ETag``,
    ``Last-Modified`` and ``Content-Location`` (the version's URL). R4 http.html gives
    ``Location`` to the answers of a create alone (:func:`~backend.fhir.writes._written_response`
    renames it there); a read or an update names the version it holds in
    ``Content-Location`` (RFC 9110 §8.7)."""
    return {
        **version_headers(version, row.validity_from),
        "Content-Location": request.build_absolute_uri(
            f"/fhir/{resource.resource_type}/{row.uuid}/_history/{version}"
        ),
    }


#: An ``If-Match``/``If-None-Match`` value other than ``*`` (RFC 9110 §13.1.1:
#: ``#entity-tag``, ``entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE``): tags separated by
#: commas, empty list elements allowed (§5.6.1).
_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
_TAG_LIST = re.compile(rf"[\s,]*{_TAG}(?:\s*,[\s,]*{_TAG})*[\s,]*")


def entity_tags(value: str) -> list[str] | None:
    """The entity tags of an ``If-Match`` value (``["*"]`` for ``*``), or None when
    ``value`` is neither ``*`` nor a list of entity tags (RFC 9110 §13.1.1; ``7``,
    ``W/7``, an unclosed quote, an empty value)."""
    if value.strip() == "*":
        return ["*"]
    if not _TAG_LIST.fullmatch(value):
        return None
    return re.findall(_TAG, value)


def weakly_matches(tags: list[str], etag: str) -> bool:
    """Whether the entity tags ``tags`` (of ``If-Match`` or ``If-None-Match``) hold
    ``etag`` or ``*``, compared weakly (RFC 9110 §8.8.3.2: ``"2"`` matches ``W/"2"``)."""
    held = {tag.removeprefix("W/") for tag in tags}
    return "*" in held or etag.removeprefix("W/") in held


def not_modified(request, headers: dict[str, str]) -> HttpResponse | None:
    """A 304 (no body, ``headers``) when the read's conditions say the client holds
    this version, else None (FHIR R4 http.html#cread: ``If-None-Match`` with the
    version's ETag, ``If-Modified-Since``; ``headers`` holds the version's ``ETag`` and
    ``Last-Modified``). As RFC 9110 §13.2.2 orders them: ``If-None-Match`` (``*`` or a
    list of entity tags, compared weakly, §8.8.3.2: ``"2"`` matches ``W/"2"``) decides
    when sent, and ``If-Modified-Since`` is then ignored; ``If-Modified-Since`` (an HTTP
    date; another value is ignored, §13.1.3) answers 304 when the version is not newer
    (Last-Modified, to the second, at or before it)."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        held = weakly_matches(parse_etags(if_none_match), headers["ETag"])
        return fhir_response(None, 304, headers) if held else None
    since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
    last_modified = parse_http_date_safe(headers["Last-Modified"])
    if since is not None and last_modified <= since:
        return fhir_response(None, 304, headers)
    return None


def _parse_id(resource: FhirResource, value: str) -> uuid.UUID:
    """The uuid of the id ``value`` of a URL (read, vread, history, update, delete).

    Raises the 404 of an unknown id (:func:`_not_found`) for another spelling of a uuid
    (an id is a case-sensitive string, FHIR R4 datatypes.html#id; :func:`backend.ids.parse_id`),
    a 404 saying ids are uuids for text that is no uuid at all, and a 404 ``not-supported``
    naming what is supported for an interaction name (``_history``: type history)."""
    key = parse_id(value)
    if key is not None:
        return key
    if is_uuid(value):
        raise _not_found(resource, value)
    name = resource.resource_type
    if value.startswith("_"):  # no id has "_" (R4 datatypes.html#id): an interaction
        raise FhirError(
            404,
            "not-supported",
            f"{name}/{value} is no interaction this server supports: history is per "
            f"resource ({name}/<id>/_history; no type or system history), search is "
            f"{name}?… or {name}/_search (the capability statement: /fhir/metadata).",
        )
    raise FhirError(404, "not-found", f"No {name} has id {value!r} (ids are uuids).")
