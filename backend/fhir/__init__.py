"""FHIR R4 at ``/fhir/``: the contract a module implements to serve its resources.

A module lists :class:`FhirResource` instances in its ``Manifest(fhir=[...])``; the
core (:mod:`backend.fhir.views`) serves, for each, read, vread, instance history, search,
create, update and delete, and lists exactly those in ``GET /fhir/metadata``. A module
never imports another: a reference to another module's resource is its FHIR type and
uuid (``"Location/<uuid>"``), built from the module's own foreign key, and an
:class:`Include` names the target by resource type.

Versions come from the history rows (:mod:`backend.versioning`): version *n* of a
resource is its *n*-th history row in the order of ``validity_to``, and the current row
is version (number of history rows + 1). ``meta.lastUpdated`` is the version's
``validity_from``.

Resources are validated with `fhir.resources <https://pypi.org/project/fhir.resources/>`_
(its ``R4B`` classes, which for the resources served here, Location, Organization,
Bundle, OperationOutcome and CapabilityStatement, have the R4 structure).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime

from backend.errors import FieldError, ValidationFailed

#: The openIMIS FHIR implementation guide, whose code systems we use where it has them.
OPENIMIS_IG = "https://openimis.github.io/openimis_fhir_r4_ig"
#: openIMIS identifier types (``UUID``, ``Code``): the type of each identifier served.
IDENTIFIER_TYPE_SYSTEM = f"{OPENIMIS_IG}/CodeSystem/openimis-identifiers"
#: Base of this project's own code systems and extensions, where openIMIS has none.
PROJECT_BASE = "urn:openimis-graphql:fhir"


class FhirError(Exception):
    """A request the server refuses, as an OperationOutcome with an HTTP status.

    ``status``: the HTTP status (400, 404, 409, 410, 412, 415, 422 …); ``code``: the
    OperationOutcome issue type (``invalid``, ``not-found``, ``conflict`` …);
    ``message``: the diagnostics, for people; ``expression``: FHIRPath of the element.
    """

    def __init__(self, status: int, code: str, message: str, expression: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.expression = status, code, message, expression


def bad_request(message: str, expression: str | None = None) -> FhirError:
    """A 400 ``invalid`` error (a malformed parameter or body)."""
    return FhirError(400, "invalid", message, expression)


@dataclass(frozen=True)
class SearchParam:
    """One search parameter of a resource type.

    ``type``: the FHIR search parameter type (``string``, ``token``, ``reference``,
    ``date``), listed in the CapabilityStatement. ``apply(queryset, value, modifier)``
    returns the queryset narrowed by one value (``modifier`` is the text after ``:`` in
    the parameter name, or None); it raises :class:`FhirError` for a value it cannot
    read. Several values in one parameter, comma-separated, are OR-ed by the core.
    """

    type: str
    apply: Callable[[QuerySet, str, str | None], QuerySet]
    documentation: str


@dataclass(frozen=True)
class Include:
    """A reference from one resource type to another, usable in ``_include`` (on
    searches of ``source``) and ``_revinclude`` (on searches of ``target``).

    ``source``: the resource type holding the reference; ``name``: its search parameter
    (``partof`` gives ``Location:partof``); ``target``: the referenced resource type;
    ``attname``: the foreign key column on the source model (``parent_id``).
    """

    source: str
    name: str
    target: str
    attname: str

    @property
    def key(self) -> str:
        return f"{self.source}:{self.name}"


class FhirResource:
    """Base class of a module's FHIR resource type (subclass and set the class fields).

    ``resource_type``: the FHIR type (``"Location"``); ``model``: the Django label of the
    model (``"location.Location"``), a versioned model (:mod:`backend.versioning`);
    ``view_permission``: the Django permission to read it; ``fhir_model``: the
    fhir.resources class every served resource is validated with; ``search_params``:
    the type's own search parameters (``_id`` and ``_lastUpdated`` come from the core);
    ``sort``: ``_sort`` names -> model fields; ``includes``: the references this type
    holds; ``related``: ``select_related`` paths :meth:`to_fhir` reads; ``field_paths``:
    input field of a :class:`FieldError` -> FHIRPath of the element, for
    OperationOutcome issues.
    """

    resource_type: ClassVar[str]
    model: ClassVar[str]
    view_permission: ClassVar[str]
    fhir_model: ClassVar[type]
    search_params: ClassVar[Mapping[str, SearchParam]] = {}
    sort: ClassVar[Mapping[str, str]] = {}
    includes: ClassVar[Sequence[Include]] = ()
    related: ClassVar[tuple[str, ...]] = ()
    field_paths: ClassVar[Mapping[str, str]] = {}
    documentation: ClassVar[str] = ""

    def get_model(self) -> Any:
        return apps.get_model(self.model)

    def to_fhir(self, row: Any, resource_id: uuid.UUID) -> dict[str, Any]:
        """The resource (JSON dict) of ``row``, a current or history row, without
        ``id`` and ``meta`` (the core adds them); ``resource_id`` is the uuid of the
        current row (a history row has a uuid of its own)."""
        raise NotImplementedError

    def create(
        self,
        resource: Any,
        *,
        user: Any,
        key: uuid.UUID | None = None,
        as_of: datetime.datetime | None = None,
    ) -> Any:
        """Create a row from ``resource`` (a validated fhir.resources instance) through
        the module's services; returns the saved row. ``key`` and ``as_of`` (used by the
        bulk import) keep the resource's id as the uuid and its ``meta.lastUpdated`` as
        ``validity_from``; by default the server assigns both. Raises ``ValidationFailed``
        or ``PermissionDenied``, or :class:`FhirError` for what the mapping cannot read."""
        raise NotImplementedError

    def update(self, key: uuid.UUID, resource: Any, *, user: Any) -> Any:
        """Replace the current row ``key`` with ``resource`` through the services."""
        raise NotImplementedError

    def delete(self, key: uuid.UUID, *, user: Any) -> Any:
        """Delete the current row ``key`` through the services."""
        raise NotImplementedError

    def write_permission(self, interaction: str) -> str:
        """The Django permission ``interaction`` (create/update/delete) needs."""
        app_label, _, model = self.model.partition(".")
        verb = {"create": "add", "update": "change", "delete": "delete"}[interaction]
        return f"{app_label}.{verb}_{model.lower()}"


def fhir_resources() -> dict[str, FhirResource]:
    """The FHIR resources of the active modules, by resource type (registry order).

    Raises ``ImproperlyConfigured``-like ``ValueError`` when two modules serve one type.
    """
    from backend.registry import active_modules

    served: dict[str, FhirResource] = {}
    for module in active_modules():
        for resource in module.manifest.fhir:
            if resource.resource_type in served:
                raise ValueError(f"Two modules serve the FHIR type {resource.resource_type}.")
            served[resource.resource_type] = resource
    return served


# -- helpers for modules: references, identifiers, codings --------------------------------


def reference(resource_type: str, key: uuid.UUID | None) -> dict[str, str] | None:
    """``{"reference": "<type>/<uuid>"}``, or None for None."""
    return None if key is None else {"reference": f"{resource_type}/{key}"}


def parse_reference(value: str | None, resource_type: str, expression: str) -> uuid.UUID | None:
    """The uuid of a reference ``"<type>/<uuid>"`` (or a bare uuid in a search value).

    Raises a 422 :class:`FhirError` naming ``expression`` when it is another type or
    not a uuid; None for None.
    """
    if value is None:
        return None
    kind, _, key = value.rpartition("/")
    if kind and kind.rsplit("/", 1)[-1] != resource_type:
        raise FhirError(
            422, "invalid", f"{value!r} is not a reference to a {resource_type}.", expression
        )
    try:
        return uuid.UUID(key)
    except ValueError:
        raise FhirError(
            422, "invalid", f"{value!r}: the id of a {resource_type} is a uuid.", expression
        ) from None


def identifier(code: str, value: Any) -> dict[str, Any]:
    """An identifier of openIMIS type ``code`` (``UUID``, ``Code``)."""
    return {
        "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": code}]},
        "value": str(value),
    }


def identifier_value(resource: Any, code: str) -> str | None:
    """The value of ``resource``'s first identifier of openIMIS type ``code``, or None."""
    for ident in resource.identifier or ():
        for coding in (ident.type.coding or ()) if ident.type else ():
            if coding.system == IDENTIFIER_TYPE_SYSTEM and coding.code == code:
                return ident.value
    return None


def coding_code(codeables: Any, system: str) -> str | None:
    """The code of the first coding of ``system`` in a CodeableConcept or list of them."""
    items = codeables if isinstance(codeables, list) else [codeables] if codeables else []
    for codeable in items:
        for coding in codeable.coding or ():
            if coding.system == system:
                return coding.code
    return None


def extension_value(resource: Any, url: str, kind: str) -> Any:
    """``value<kind>`` of ``resource``'s extension ``url`` (``kind`` e.g. "Integer"), or
    None when absent."""
    for ext in resource.extension or ():
        if ext.url == url:
            return getattr(ext, f"value{kind}")
    return None


# -- helpers for search parameters ---------------------------------------------------------


def string_param(*fields: str, documentation: str) -> SearchParam:
    """A ``string`` parameter over ``fields`` (any may match): case-insensitive prefix
    by default (FHIR), ``:contains`` and ``:exact`` (case-sensitive, whole value)."""

    def apply(queryset: QuerySet, value: str, modifier: str | None) -> QuerySet:
        lookup = {None: "istartswith", "contains": "icontains", "exact": "exact"}.get(modifier)
        if lookup is None:
            raise bad_request(f"The modifier :{modifier} is not supported on a string.")
        condition = Q()
        for name in fields:
            condition |= Q(**{f"{name}__{lookup}": value})
        return queryset.filter(condition)

    return SearchParam("string", apply, documentation)


def token_param(
    lookup: Callable[[str | None, str], Q], *, documentation: str, system: str | None = None
) -> SearchParam:
    """A ``token`` parameter: ``lookup(system, code)`` gives the condition of one value
    ``[system|]code``; ``system`` (if given) is the only system accepted."""

    def apply(queryset: QuerySet, value: str, modifier: str | None) -> QuerySet:
        if modifier is not None:
            raise bad_request(f"The modifier :{modifier} is not supported on this token.")
        token_system, bar, code = value.rpartition("|")
        if bar and token_system and system is not None and token_system != system:
            return queryset.none()
        return queryset.filter(lookup(token_system if bar else None, code))

    return SearchParam("token", apply, documentation)


def reference_param(
    resource_type: str, condition: Callable[[uuid.UUID], Q], *, documentation: str
) -> SearchParam:
    """A ``reference`` parameter to ``resource_type``: ``<uuid>`` or ``<type>/<uuid>``;
    ``condition(uuid)`` gives the rows it selects."""

    def apply(queryset: QuerySet, value: str, modifier: str | None) -> QuerySet:
        if modifier not in (None, resource_type):
            raise bad_request(f"The modifier :{modifier} is not supported on this reference.")
        try:
            key = parse_reference(value, resource_type, "")
        except FhirError as error:
            raise bad_request(error.message) from None
        return queryset.filter(condition(key))

    return SearchParam("reference", apply, documentation)


_DATE_PREFIXES = {"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"}


def date_param(name: str, *, documentation: str) -> SearchParam:
    """A ``date`` parameter over the datetime field ``name``: an optional prefix
    (``eq``, ``ne``, ``gt``, ``lt``, ``ge``, ``le``, ``sa``, ``eb``) and a date or a
    datetime with its zone; a date means the whole day (UTC)."""

    def apply(queryset: QuerySet, value: str, modifier: str | None) -> QuerySet:
        if modifier is not None:
            raise bad_request(f"The modifier :{modifier} is not supported on a date.")
        prefix = value[:2] if value[:2] in _DATE_PREFIXES else "eq"
        text = value[2:] if value[:2] in _DATE_PREFIXES else value
        start, end = _date_range(text)
        ranges = {
            "eq": Q(**{f"{name}__gte": start, f"{name}__lt": end}),
            "ne": ~Q(**{f"{name}__gte": start, f"{name}__lt": end}),
            "gt": Q(**{f"{name}__gte": end}),
            "sa": Q(**{f"{name}__gte": end}),
            "lt": Q(**{f"{name}__lt": start}),
            "eb": Q(**{f"{name}__lt": start}),
            "ge": Q(**{f"{name}__gte": start}),
            "le": Q(**{f"{name}__lt": end}),
        }
        return queryset.filter(ranges[prefix])

    return SearchParam("date", apply, documentation)


def _date_range(text: str) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants ``[start, end)`` a FHIR date or dateTime value covers."""
    try:
        day = parse_date(text) if len(text) == 10 else None
        moment = None if day else parse_datetime(text)
    except ValueError:
        moment = day = None
    if moment is not None:
        if moment.tzinfo is None:
            raise bad_request(f"{text!r}: a dateTime needs its time zone (e.g. Z or +07:00).")
        return moment, moment + datetime.timedelta(microseconds=1)
    if day is not None:
        start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
        return start, start + datetime.timedelta(days=1)
    raise bad_request(f"{text!r} is not a date (YYYY-MM-DD) or a dateTime with a zone.")


def kept(key: uuid.UUID | None, as_of: datetime.datetime | None) -> dict[str, Any]:
    """Model values for :meth:`FhirResource.create`'s ``key`` and ``as_of``."""
    values: dict[str, Any] = {}
    if key is not None:
        values["uuid"] = key
    if as_of is not None:
        values["validity_from"] = as_of
    return values


def fhir_errors(error: ValidationFailed, resource: FhirResource) -> list[dict[str, Any]]:
    """OperationOutcome issues of a service's ``ValidationFailed``, each naming the
    element (``field_paths``) and keeping the service's stable code in ``details``."""
    return [_issue(e, resource) for e in error.errors]


def _issue(error: FieldError, resource: FhirResource) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "severity": "error",
        "code": "business-rule" if error.code in {"HAS_CHILDREN", "HAS_PAYERS"} else "invalid",
        "details": {"coding": [{"system": f"{PROJECT_BASE}:error-code", "code": error.code}]},
        "diagnostics": error.message,
    }
    path = resource.field_paths.get(error.field or "")
    if path:
        issue["expression"] = [path]
    return issue


__all__ = [
    "IDENTIFIER_TYPE_SYSTEM",
    "OPENIMIS_IG",
    "PROJECT_BASE",
    "FhirError",
    "FhirResource",
    "Include",
    "SearchParam",
    "coding_code",
    "date_param",
    "extension_value",
    "fhir_errors",
    "fhir_resources",
    "identifier",
    "identifier_value",
    "kept",
    "parse_reference",
    "reference",
    "reference_param",
    "string_param",
    "token_param",
]
