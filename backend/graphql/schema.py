"""Assembly of the composed GraphQL schema from the active modules' manifests.

Order is deterministic: modules in ``settings.OPENIMIS_MODULES`` order, and within a
module the order of its declarations. The steps:

1. publish every module's owned types under their GraphQL names (for ``ref``);
2. splice each extension's fields into the target type's definition (name clashes and
   unknown targets are errors);
3. guard every field that crosses into another module's type with that type's view
   permission (:func:`guard_foreign_fields`);
4. merge the modules' query (and mutation) classes into one root type each, next to the
   core's ``node(id:)`` field;
5. build a strawberry schema with the Django query optimizer.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import functools
import importlib
import uuid
from collections.abc import Iterator, Mapping
from itertools import chain
from typing import Any

import dateutil.parser
import strawberry
import strawberry_django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from strawberry import LazyType, relay
from strawberry.permission import PermissionExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.types.base_scalars import DateTimeDefinition, UUIDDefinition, wrap_parser
from strawberry.tools import merge_types
from strawberry.types.base import StrawberryContainer, get_object_definition
from strawberry_django.relay.utils import resolve_edge_class

from backend.datetimes import sub_microsecond_problem
from backend.graphql.error_logging import Schema
from backend.graphql.limits import schema_extensions
from backend.graphql.permissions import GlobalIdTypeCheck, HasPerm
from backend.graphql.readable_refs import check_readable_refs
from backend.graphql.resolvers import read_columns_directly
from backend.registry import REFS_MODULE, Manifest, ModuleConfig, active_modules, view_permissions

#: strawberry's UUID scalar, with the description the SDL reference needs.
UUID_SCALAR = dataclasses.replace(
    UUIDDefinition,
    description="A UUID in its canonical text form (RFC 9562), e.g. "
    '"75250515-40d7-4c77-bafe-a2c65ffc5a72".',
)


def parse_datetime(text: str) -> datetime.datetime:
    """The ``DateTime`` ``text`` (ISO 8601, strawberry's parser); ``ValueError`` for a
    text that is none, or whose fraction of a second is finer than a microsecond
    (:func:`backend.datetimes.sub_microsecond_problem`, never cut silently)."""
    problem = sub_microsecond_problem(text)
    if problem:
        raise ValueError(problem)
    return dateutil.parser.isoparse(text)


#: strawberry's DateTime scalar, refusing digits past the microsecond it would cut: a
#: variable's value is a ``BAD_USER_INPUT`` naming it in ``extensions.argument``
#: (:mod:`backend.graphql.input_paths`), a literal in the document a validation error,
#: as every value the scalar cannot read.
DATETIME_SCALAR = dataclasses.replace(
    DateTimeDefinition, parse_value=wrap_parser(parse_datetime, "DateTime")
)

# Pristine field lists, taken before the first build. Building a schema mutates field
# objects (field extensions set resolvers and arguments; extensions are spliced in), so
# every build starts from fresh copies: one process can build several schemas (a
# partial one in tests, one per subgraph).
_PRISTINE_FIELDS: dict[type, list] = {}


def fresh_fields(cls: type) -> list:
    """Fresh copies of the fields ``cls`` was declared with (its definition is untouched)."""
    pristine = _PRISTINE_FIELDS.setdefault(cls, list(definition_of(cls).fields))
    return [copy.copy(f) for f in pristine]


def _reset_fields(cls: type) -> None:
    """Give ``cls`` fresh copies of the fields it was declared with."""
    definition = definition_of(cls)
    definition.fields = fresh_fields(cls)
    # merge_types() builds the root types from the classes' dataclass fields.
    dataclass_fields = getattr(cls, "__dataclass_fields__", {})
    for fresh in definition.fields:
        if fresh.python_name in dataclass_fields:
            dataclass_fields[fresh.python_name] = fresh


@strawberry.type(description="Fields served by the core for every module.")
class CoreQuery:
    node: relay.Node | None = strawberry_django.node(
        description="Fetch any object by its global id (Relay `Node`); null when unknown.",
        extensions=[GlobalIdTypeCheck()],
    )


def definition_of(cls: type):
    """The strawberry definition of ``cls``; ImproperlyConfigured when it has none."""
    definition = getattr(cls, "__strawberry_definition__", None)
    if definition is None:
        raise ImproperlyConfigured(f"{cls!r} is not a strawberry type.")
    return definition


def publish_types(manifests: dict[str, Manifest]) -> dict[str, type]:
    """Publish owned types in the refs namespace; return them by GraphQL name.

    Raises ImproperlyConfigured when two modules own a type of the same name.
    """
    refs = importlib.import_module(REFS_MODULE)
    owners: dict[str, str] = {}
    owned: dict[str, type] = {}
    for label, manifest in manifests.items():
        for cls in manifest.types:
            name = definition_of(cls).name
            if name in owners:
                raise ImproperlyConfigured(
                    f"GraphQL type {name!r} is declared by both {owners[name]!r} and {label!r}."
                )
            owners[name], owned[name] = label, cls
    for name in [n for n in vars(refs) if not n.startswith("_")]:
        delattr(refs, name)
    for name, cls in owned.items():
        setattr(refs, name, cls)
    return owned


def splice_extensions(manifests: dict[str, Manifest], owned: dict[str, type]) -> None:
    """Add each extension's fields to its target type's definition, in module order.

    Raises ImproperlyConfigured for an unknown target type or a field name clash.
    """
    for label, manifest in manifests.items():
        for target_name, extensions in manifest.extensions.items():
            target = owned.get(target_name)
            if target is None:
                raise ImproperlyConfigured(
                    f"Module {label!r} extends GraphQL type {target_name!r}, "
                    "which no active module declares."
                )
            target_def = definition_of(target)
            for extension in extensions:
                for ext_field in definition_of(extension).fields:
                    taken = {f.python_name for f in target_def.fields} | {
                        f.graphql_name for f in target_def.fields if f.graphql_name
                    }
                    if ext_field.python_name in taken or ext_field.graphql_name in taken:
                        raise ImproperlyConfigured(
                            f"Module {label!r} adds field {ext_field.python_name!r} to "
                            f"{target_name!r}, which already has a field of that name."
                        )
                    target_def.fields.append(splice_field(copy.copy(ext_field), target, label))


def splice_field(field: Any, target: type, label: str) -> Any:
    """``field`` (a copy of a field of module ``label``'s extension) made a field of the
    owned type ``target``: its ``origin`` is ``target`` (the Django model whose rows it
    reads, for the district rights' checks) and ``extended_by`` is ``label`` (named by
    the refusals of start-up). Returns ``field``, changed in place."""
    field.origin = target
    field.extended_by = label
    return field


def load_manifests(modules: list[ModuleConfig] | None = None) -> dict[str, Manifest]:
    """The manifests of ``modules`` (default: the active modules), by module label."""
    modules = active_modules() if modules is None else modules
    return {m.label: m.manifest for m in modules}


def named_types(field: Any) -> Iterator[type]:
    """The classes a field's type names, through lists, optionals, lazy references and
    Relay connections (the connection and its node type)."""
    stack = [field.type]
    while stack:
        type_ = stack.pop()
        if isinstance(type_, StrawberryContainer):
            stack.append(type_.of_type)
        elif isinstance(type_, LazyType):
            stack.append(type_.resolve_type())
        elif isinstance(type_, type):
            yield type_
            if issubclass(type_, relay.Connection):
                edge = get_object_definition(resolve_edge_class(type_), strict=True)
                stack.append(edge.get_field("node").resolve_type(type_definition=edge))


def guard_foreign_fields(type_name: str, fields: list, permissions: Mapping[str, str]) -> None:
    """Guard the ``fields`` of the type ``type_name`` that return another module's type.

    ``permissions``: GraphQL type name -> view permission of the owning module
    (:func:`backend.registry.view_permissions`). A field returning a type whose view
    permission differs from ``type_name``'s gets ``HasPerm(<that permission>)`` (unless it
    has it already): ``Payer.location`` needs ``location.view_location`` although the
    payer module never names it; a field returning a row of a placed model gives it only
    when the user may read it (:func:`backend.graphql.readable_refs.check_readable_refs`).
    Changes the field objects in place (build fresh copies).
    """
    check_readable_refs(fields)
    own = permissions.get(type_name)
    for field in fields:
        for named in named_types(field):
            name = getattr(getattr(named, "__strawberry_definition__", None), "name", None)
            needed = permissions.get(name)
            if needed is None or needed == own or HasPerm(needed) in field.permission_classes:
                continue
            field.permission_classes.append(HasPerm(needed))
            field.extensions.append(PermissionExtension([HasPerm(needed)()], use_directives=False))


def merge_roots(queries: list[type], mutations: list[type]) -> tuple[type | None, type | None]:
    """Merge query and mutation classes into the root ``Query`` and ``Mutation`` types.

    Each class gets fresh field copies first. Returns ``(query, mutation)``; either is
    None when there is nothing to merge.
    """
    for cls in (*queries, *mutations):
        _reset_fields(cls)
    query = merge_types("Query", tuple(queries)) if queries else None
    if query is not None:
        query.__strawberry_definition__.description = "Entry points for reading data."
    mutation = merge_types("Mutation", tuple(mutations)) if mutations else None
    if mutation is not None:
        mutation.__strawberry_definition__.description = "Entry points for changing data."
    return query, mutation


def schema_options() -> dict:
    """Keyword arguments every schema of this project is built with (monolith and
    subgraphs): the optimizer and guard rails, the page limit, the UUID and DateTime
    scalars."""
    return {
        "extensions": schema_extensions(),
        "config": StrawberryConfig(relay_max_results=settings.GRAPHQL_MAX_PAGE_SIZE),
        "scalar_overrides": {uuid.UUID: UUID_SCALAR, datetime.datetime: DATETIME_SCALAR},
    }


def build_schema(modules: list[ModuleConfig] | None = None) -> strawberry.Schema:
    """Build the composed schema for ``modules`` (default: the active modules).

    Returns a ``strawberry.Schema``; raises ImproperlyConfigured for a broken
    manifest (see :func:`publish_types` and :func:`splice_extensions`). The owned
    types' definitions keep the composed state (extensions spliced in): the optimizer
    reads them at run time, for this schema and for the subgraphs.
    """
    manifests = load_manifests(modules)
    for manifest in manifests.values():
        for cls in chain(manifest.types, *manifest.extensions.values()):
            _reset_fields(cls)
    owned = publish_types(manifests)
    splice_extensions(manifests, owned)
    permissions = view_permissions(modules)
    for name, cls in owned.items():
        guard_foreign_fields(name, definition_of(cls).fields, permissions)
    query, mutation = merge_roots(
        [CoreQuery, *(q for c in manifests.values() for q in c.queries)],
        [m for c in manifests.values() for m in c.mutations],
    )
    schema = Schema(query=query, mutation=mutation, types=list(owned.values()), **schema_options())
    read_columns_directly(schema)
    return schema


@functools.cache
def get_schema() -> strawberry.Schema:
    """The schema of the active modules, built once per process."""
    return build_schema()
