"""The FHIR resource contract: what a module declares to serve a resource type.

:class:`FhirResource` (subclassed by each module), its :class:`SearchParam`,
:class:`Include` and :class:`Writes` declarations, the code-system bases every mapping
uses, and :func:`fhir_resources`, the served types of the active modules. Re-exported
by :mod:`backend.fhir`, where modules import them from.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.apps import apps
from django.db.models import QuerySet

#: The openIMIS FHIR implementation guide, whose code systems we use where it has them.
OPENIMIS_IG = "https://openimis.github.io/openimis_fhir_r4_ig"
#: openIMIS identifier types (``UUID``, ``Code``): the type of each identifier served.
IDENTIFIER_TYPE_SYSTEM = f"{OPENIMIS_IG}/CodeSystem/openimis-identifiers"
#: Base of this project's own code systems and extensions, where openIMIS has none.
PROJECT_BASE = "urn:openimis-graphql:fhir"


@dataclass(frozen=True)
class SearchParam:
    """One search parameter of a resource type.

    ``type``: the FHIR search parameter type (``string``, ``token``, ``reference``,
    ``date``), listed in the CapabilityStatement. ``apply(queryset, value, modifier)``
    returns the queryset narrowed by one value (``modifier`` is the text after ``:`` in
    the parameter name, or None); it raises :class:`FhirError` for a value it cannot
    read. Several values in one parameter, comma-separated, are OR-ed by the core.
    ``target``: the resource type a reference parameter names, or None.
    """

    type: str
    apply: Callable[[QuerySet, str, str | None], QuerySet]
    documentation: str
    #: For a ``reference`` parameter, the resource type it names: using it needs that
    #: type's view permission (its matches tell which rows refer to which resource).
    target: str | None = None


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


@dataclass(frozen=True)
class Writes:
    """The module's service functions a :class:`FhirResource` writes through (its one
    write path). ``create(data, *, <reference>=uuid | None, user) -> row`` and
    ``update(key, changes, *, <reference>=uuid | None, user) -> row`` take the model
    values and references of :meth:`FhirResource.from_fhir` (``<reference>``: each of
    its reference keywords, e.g. ``location``); ``delete(key, *, user) -> row``.
    """

    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]


class FhirResource:
    """Base class of a module's FHIR resource type (subclass and set the class fields).

    ``resource_type``: the FHIR type (``"Location"``); ``model``: the Django label of the
    model (``"location.Location"``), a versioned model (:mod:`backend.versioning`);
    ``view_permission``: the Django permission to read it; ``fhir_model``: the
    fhir.resources class every served resource is validated with; ``search_params``:
    the type's own search parameters (``_id`` and ``_lastUpdated`` come from the core);
    ``sort``: ``_sort`` names -> model fields; ``includes``: the references this type
    holds; ``related``: ``select_related`` paths :meth:`to_fhir` reads (the first step
    of each, a foreign key to a placed model, is left out of what is served where the
    user may not read the row, as a reference keyword is); ``field_paths``:
    input field of a :class:`FieldError` -> FHIRPath of the element, for
    OperationOutcome issues; ``references``: each reference keyword of
    :meth:`from_fhir` -> the resource type it names (``{"location": "Location"}``; a
    keyword naming the model's foreign key to a placed model also leaves out of what is
    served a reference to a row the user may not read, district rights);
    ``writes``: the services that :meth:`create`, :meth:`update` and :meth:`delete`
    call with what :meth:`from_fhir` reads; ``writable``: the elements a write may send
    (:mod:`backend.fhir.writable`: any other, or another value of a derived one, is a
    422 naming it, never dropped); ``refusals``: a service error code -> the advice a
    FHIR client can follow, replacing the advice of a service error made with
    :meth:`~backend.errors.FieldError.advised`, which names another surface's arguments
    (:func:`backend.fhir.errors.fhir_errors`).

    A user who may not view a type does not see references to it in what is served
    (:func:`backend.fhir.versions.hidden_types`); so an update from such a user that
    holds none keeps the stored one (the keyword is not passed to the service), and
    one that names a row of it is refused by the services (the view permission).
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
    references: ClassVar[Mapping[str, str]] = {}
    documentation: ClassVar[str] = ""
    writes: ClassVar[Writes]
    writable: ClassVar[Mapping[str, Any]] = {}
    refusals: ClassVar[Mapping[str, str]] = {}

    def get_model(self) -> Any:
        return apps.get_model(self.model)

    def to_fhir(self, row: Any, resource_id: uuid.UUID) -> dict[str, Any]:
        """The resource (JSON dict) of ``row``, a current or history row, without
        ``id`` and ``meta`` (the core adds them); ``resource_id`` is the uuid of the
        current row (a history row has a uuid of its own)."""
        raise NotImplementedError

    def from_fhir(self, resource: Any) -> tuple[dict[str, Any], dict[str, uuid.UUID | None]]:
        """The model values and references of ``resource`` (a validated fhir.resources
        instance), as the services (:attr:`writes`) take them: references are keyword
        -> uuid of the referenced row or None (``{"location": ...}``). Raises
        :class:`FhirError` for what the mapping cannot read; the services check the rest."""
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
        or ``PermissionDenied``, or :class:`FhirError` for what the mapping cannot read
        (a ``UUID`` identifier other than ``key``: :func:`_check_uuid_identifier`)."""
        _check_uuid_identifier(resource, self.resource_type, key)
        data, references = self.from_fhir(resource)
        return self.writes.create({**data, **_kept(key, as_of)}, **references, user=user)

    def update(self, key: uuid.UUID, resource: Any, *, user: Any) -> Any:
        """Replace the current row ``key`` with ``resource`` through the services; returns
        the saved row (raises as :meth:`create`). A reference of :attr:`references` to
        a type ``user`` may not view, absent from ``resource``, is left as it is.

        An element absent from ``resource`` whose column is stored empty (``""``, as
        legacy data has it, or null) is left as stored: FHIR has no empty strings
        (R4 json.html: a value is never ``""``), so the read served it as absent, and a
        PUT of what was read changes nothing and makes no version."""
        _check_uuid_identifier(resource, self.resource_type, key)
        data, references = self.from_fhir(resource)
        stored = self.get_model()._default_manager.filter(uuid=key, legacy__isnull=True).first()
        if stored is not None:
            data = {
                name: value
                for name, value in data.items()
                if value is not None or getattr(stored, name, None) != ""
            }
        for keyword, target in self.references.items():
            served = fhir_resources().get(target)
            unseen = served is not None and not user.has_perm(served.view_permission)
            if unseen and references.get(keyword) is None:
                references.pop(keyword, None)  # the user never saw it: kept as it is
        return self.writes.update(key, data, **references, user=user)

    def delete(self, key: uuid.UUID, *, user: Any) -> Any:
        """Delete the current row ``key`` through the services; returns the row."""
        return self.writes.delete(key, user=user)

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


def _check_uuid_identifier(resource: Any, resource_type: str, key: uuid.UUID | None) -> None:
    """Refuse (422 at ``<type>.identifier[i]``) an identifier typed ``UUID``
    (:data:`IDENTIFIER_TYPE_SYSTEM`) whose value is not ``key``, the resource's id: the
    uuid is the id, which an update does not change and a create assigns (``key`` None:
    any ``UUID`` identifier is refused), so another value could not be stored."""
    from backend.fhir.errors import FhirError

    for index, ident in enumerate(resource.identifier or ()):
        codings = (ident.type.coding or ()) if ident.type else ()
        if not any(c.system == IDENTIFIER_TYPE_SYSTEM and c.code == "UUID" for c in codings):
            continue
        if key is not None and ident.value == str(key):
            continue
        where = f"{resource_type}.identifier[{index}]"
        rule = (
            "the server assigns the id (and its UUID identifier) of a resource it creates; "
            "leave it out"
            if key is None
            else f"it is the resource's id ({key}), which does not change"
        )
        raise FhirError(
            422,
            "not-supported",
            f"{where}: the UUID identifier {ident.value!r} cannot be stored: {rule}.",
            where,
        )


def _kept(key: uuid.UUID | None, as_of: datetime.datetime | None) -> dict[str, Any]:
    """Model values for :meth:`FhirResource.create`'s ``key`` and ``as_of``."""
    values: dict[str, Any] = {}
    if key is not None:
        values["uuid"] = key
    if as_of is not None:
        values["validity_from"] = as_of
    return values
