"""The module contract: what a module declares, and how the core finds it.

A module is a Django app under ``modules/<name>/`` with two files the core reads:

- ``apps.py``: an AppConfig subclassing :class:`ModuleConfig` (label, verbose name);
- ``manifest.py``: ``manifest = Manifest(...)``, everything else the module contributes.

The core discovers nothing else. After Django's app registry is ready it imports every
active module's manifest (in ``settings.OPENIMIS_MODULES`` order), checks it
(:func:`backend.manifest_checks.check_manifests`) and wires it: admin classes are
registered, delete guards are consulted by :func:`backend.versioning.soft_delete`, the
GraphQL contribution is composed into the schema and the subgraphs (:mod:`backend.graphql.schema`,
:mod:`backend.graphql.federation`), legacy tables are run by ``import_legacy``
(:func:`backend.legacy.tables.active_tables`), the lookups are published for other
modules (:func:`lookup`), and the generated tests read ``samples``. A bad manifest
stops start-up with one message naming the module and the problem.

Modules never import each other. A module names another module's GraphQL type with
:func:`ref` (a lazy reference by GraphQL name), another module's model by its Django
label (``"location.Location"``), and another module's published query helpers with
:func:`lookup` (``lookup("location.subtree")``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import strawberry
from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured

#: Namespace module in which every registered GraphQL type is published under its
#: GraphQL name; :func:`ref` resolves against it.
REFS_MODULE = "backend.graphql.refs"

#: A delete guard: given the current row about to be deleted, the reasons to refuse it
#: (``backend.errors.FieldError`` objects), or an empty list.
DeleteGuard = Callable[[Any], list]

#: A delete handler: given a ``backend.versioning.DeletePlan`` (the current rows of a
#: model about to be deleted together, and what to do with rows referring to them), it
#: refuses (returns ``FieldError`` objections listing the module's referring rows), or
#: deletes or reassigns those rows as the plan asks and returns [].
DeleteHandler = Callable[[Any], list]


@dataclass(frozen=True)
class Samples:
    """What the generated tests need from a module: a small world of rows and a valid
    call of each root field (``tests/test_permissions_matrix.py``, ``tests/test_fuzz.py``).

    ``names``: the sample rows' names -> the GraphQL type of each (``{"r1": "Location"}``).
    ``world(ids)``: creates the rows in the test database, each with the primary key and
    uuid ``ids(name) -> (pk, uuid)`` gives; the worlds of required modules exist first.
    Documents, variables and answers name a row's uuid as ``{r1}``, its global id as
    ``{r1_id}``, and the view permission of a GraphQL type as ``{view:Location}``.
    ``queries``: case -> (document, guards, answer). A case is a root query field
    (``"locations"``, ``"node(Location)"``) or ``Type.field``; ``guards`` maps each dotted
    response path to the permission guarding it, outermost first; ``answer`` is the
    ``data`` a caller holding every permission gets. A case of a list field
    (``"Location.payers"``) also gives the cases of its count and connection forms
    (``payersCount``, ``payersConnection``) where the type has them.
    ``mutations``: root mutation field -> (document, permission, payload on success).
    ``fuzz``: root field -> (selection, variables): a valid call that the fuzz tests vary.
    ``text_limits``: (mutation, input field) -> the maximum length the service enforces.
    ``required_by_rules``: (mutation, input field, row name): nullable in the schema but
    required by the rules (an explicit null is ``REQUIRED``).
    """

    names: Mapping[str, str]
    world: Callable[[Callable[[str], tuple[int, Any]]], None]
    queries: Mapping[str, tuple[str, Mapping[str, str], Any]] = field(default_factory=dict)
    mutations: Mapping[str, tuple[str, str, Any]] = field(default_factory=dict)
    fuzz: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)
    text_limits: Mapping[tuple[str, str], int] = field(default_factory=dict)
    required_by_rules: Sequence[tuple[str, str, str]] = ()


@dataclass(frozen=True)
class Placement:
    """How a model's rows sit in the location tree, for district rights
    (:mod:`backend.rights`): ``Manifest.placement`` maps a model label to one.

    ``field``: the foreign key from a row to the location it is placed at (the payer's
    ``"location"``), or the path of foreign keys to it through another module's placed
    row (a payer's note: ``"payer__location"``, the payer being placed at
    ``"location"``). ``node=True``: the rows are the tree's own locations, placed by
    their own position, and ``field`` is the link to the parent (``Placement("parent",
    node=True)``). A model without a placement is not restricted by districts.
    """

    field: str
    node: bool = False


@dataclass(frozen=True)
class Manifest:
    """Everything one module contributes; the core reads nothing else.

    ``requires``: labels of the modules this one needs (checked at start-up).

    GraphQL: ``queries`` / ``mutations``: strawberry types whose fields become root
    fields. ``types``: the object types the module owns, each a ``GuardedNode`` with its
    ``view_permission``: any field of another module's type that returns one of them is
    guarded by that permission, without the other module naming it. ``extensions``:
    GraphQL type name -> strawberry types whose fields are added to that (another
    module's) type; a field name clash is an error. ``keys``: owned type name -> the
    field identifying it across subgraphs (``{"Location": "uuid"}``).

    Data: ``admin``: model label -> ModelAdmin class to register. ``legacy_tables``:
    ``backend.legacy.LegacyTable`` objects (``import_legacy`` / ``export_legacy``).
    ``delete_guards``: model label (of any module) -> :data:`DeleteGuard`, asked before a
    current row of that model is deleted (once per row; its objections always refuse).
    ``delete_handlers``: model label -> :data:`DeleteHandler`, asked instead of the guard
    when rows of that model are deleted (one row, or a subtree at once): it refuses, or
    deletes or reassigns the module's rows referring to them, as the caller chose
    (``backend.versioning.soft_delete_many``). ``lookups``: name -> callable other modules
    use as ``lookup("<label>.<name>")`` (e.g. location's ``subtree``). ``placement``: model
    label -> :class:`Placement`, how the module's rows sit in the location tree (district
    rights restrict every read and write of them, :mod:`backend.rights`).

    Other surfaces: ``fhir``: the module's FHIR R4 resources
    (:class:`backend.fhir.FhirResource` instances), served at ``/fhir/<type>``.
    ``jsonapi``: its JSON:API resources (:class:`backend.jsonapi.JsonApiResource`), served
    at ``/api/<type>``. ``jsonapi_relationships``: JSON:API type -> {relationship name ->
    :class:`backend.jsonapi.Relationship`} added to another module's type
    (``{"locations": {"payers": ...}}``).

    Deployment and tests: ``subgraph``: whether the module serves a federation subgraph
    at ``/graphql/<label>`` (default True). ``samples``: :class:`Samples`.
    """

    requires: Sequence[str] = ()
    queries: Sequence[type] = ()
    mutations: Sequence[type] = ()
    types: Sequence[type] = ()
    extensions: Mapping[str, Sequence[type]] = field(default_factory=dict)
    keys: Mapping[str, str] = field(default_factory=dict)
    admin: Mapping[str, type] = field(default_factory=dict)
    legacy_tables: Sequence[Any] = ()
    delete_guards: Mapping[str, DeleteGuard] = field(default_factory=dict)
    delete_handlers: Mapping[str, DeleteHandler] = field(default_factory=dict)
    lookups: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    placement: Mapping[str, Placement] = field(default_factory=dict)
    fhir: Sequence[Any] = ()
    jsonapi: Sequence[Any] = ()
    jsonapi_relationships: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    subgraph: bool = True
    samples: Samples | None = None


class ModuleConfig(AppConfig):
    """Base AppConfig of an openIMIS module.

    Subclass it as ``registry.ModuleConfig`` (import the ``registry`` module, not the
    class), so that Django finds exactly one AppConfig in the module's ``apps.py``.
    ``manifest_module``: submodule holding ``manifest`` (default ``"manifest"``).
    """

    manifest_module: str = "manifest"
    default_auto_field = "django.db.models.BigAutoField"
    _manifest: Manifest | None = None

    @property
    def manifest(self) -> Manifest:
        """The module's :class:`Manifest`, imported once.

        Raises ImproperlyConfigured when ``<app>.<manifest_module>`` defines none, or
        when importing it raises ImproperlyConfigured (the message then names the module:
        ``module '<label>': <problem>.``).
        """
        if self._manifest is None:
            try:
                module = importlib.import_module(f"{self.name}.{self.manifest_module}")
            except ImproperlyConfigured as error:  # e.g. a type without view_permission
                raise ImproperlyConfigured(f"module {self.label!r}: {error}.") from error
            manifest = getattr(module, "manifest", None)
            if not isinstance(manifest, Manifest):
                raise ImproperlyConfigured(
                    f"Module {self.label!r}: {module.__name__}.manifest must be a "
                    "backend.registry.Manifest."
                )
            self._manifest = manifest
        return self._manifest

    @property
    def requires(self) -> Sequence[str]:
        return self.manifest.requires


def ref(graphql_name: str) -> Any:
    """Lazy reference to the GraphQL type named ``graphql_name``, owned by any module.

    Use it as an annotation: ``location: ref("Location") | None``. It resolves when the
    schema is built, to the class the owning module registered. A reference to a type
    no active module declares stops start-up (ImproperlyConfigured, ``module '<label>':
    <Type>.<field> refers to ref('<name>'), ...``:
    :func:`backend.manifest_checks.check_manifests`).
    """
    return strawberry.LazyType(graphql_name, REFS_MODULE)


def active_modules() -> list[ModuleConfig]:
    """The active module AppConfigs, in the order of ``settings.OPENIMIS_MODULES``."""
    return [c for c in apps.get_app_configs() if isinstance(c, ModuleConfig)]


def declared_for(declared: Mapping[str, Any], model_label: str) -> Any:
    """The entry of ``declared`` (a manifest's model label -> value mapping, e.g.
    ``delete_guards``) for the model ``model_label`` (labels compare case-insensitively),
    or None."""
    for label, value in declared.items():
        if label.lower() == model_label.lower():
            return value
    return None


def lookup(name: str) -> Callable[..., Any]:
    """The callable an active module publishes as ``"<label>.<name>"`` in its lookups.

    Raises ImproperlyConfigured when the module is not active or publishes no such name.
    """
    label, _, short = name.partition(".")
    for module in active_modules():
        if module.label == label:
            found = module.manifest.lookups.get(short)
            if found is None:
                raise ImproperlyConfigured(
                    f"Module {label!r} publishes no lookup {short!r} "
                    f"(it has: {', '.join(sorted(module.manifest.lookups)) or 'none'})."
                )
            return found
    raise ImproperlyConfigured(f"Lookup {name!r}: module {label!r} is not active.")


def view_permissions(modules: list[ModuleConfig] | None = None) -> dict[str, str]:
    """GraphQL type name -> the view permission of the module owning it."""
    modules = active_modules() if modules is None else modules
    return {
        cls.__strawberry_definition__.name: cls.view_permission
        for module in modules
        for cls in module.manifest.types
        if getattr(cls, "view_permission", None)
    }


def model_view_permissions(
    modules: list[ModuleConfig] | None = None,
) -> dict[str, dict[tuple[str, str], str]]:
    """Model label (lower case, ``"location.location"``) -> (module label, surface) ->
    the view permission that surface names for the model's rows, over ``modules``
    (default: the active modules), in module order: each GraphQL type (``"GraphQL type
    Location"``), FHIR resource (``"FHIR Location"``) and JSON:API resource (``"JSON:API
    locations"``) serving the model, whichever module declares it. A type without a
    ``view_permission`` is left out. The one walk of the manifests for a model's view
    permission: :func:`backend.rights.view_permission` reads it, and
    :func:`backend.manifest_checks.check_manifests` requires the permissions of a model
    to agree."""
    modules = active_modules() if modules is None else modules
    named: dict[str, dict[tuple[str, str], str]] = {}
    for module in modules:
        manifest = module.manifest
        for cls in manifest.types:
            django = getattr(cls, "__strawberry_django_definition__", None)
            if getattr(cls, "view_permission", None) and django is not None:
                surface = f"GraphQL type {cls.__strawberry_definition__.name}"
                named.setdefault(django.model._meta.label_lower, {})[(module.label, surface)] = (
                    cls.view_permission
                )
        for kind, resources in (("FHIR", manifest.fhir), ("JSON:API", manifest.jsonapi)):
            for r in resources:
                surface = f"{kind} {r.resource_type if kind == 'FHIR' else r.type}"
                named.setdefault(r.model.lower(), {})[(module.label, surface)] = r.view_permission
    return named


def subgraph_modules(label: str, modules: list[ModuleConfig] | None = None) -> list[str]:
    """The modules a service serving the subgraph ``label`` must run, in module order:
    ``label``, what it requires (transitively), and every module guarding deletes of its
    models (with what those require), so that the service keeps every rule."""
    modules = active_modules() if modules is None else modules
    by_label = {m.label: m for m in modules}
    wanted: set[str] = set()
    pending = [label]
    while pending:
        current = pending.pop()
        if current in wanted:
            continue
        wanted.add(current)
        pending.extend(by_label[current].requires)
        if current == label:
            pending.extend(
                m.label
                for m in modules
                if any(
                    g.partition(".")[0] == label
                    for g in (*m.manifest.delete_guards, *m.manifest.delete_handlers)
                )
            )
    return [m.label for m in modules if m.label in wanted]
