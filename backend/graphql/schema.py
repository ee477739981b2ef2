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
import functools
import importlib
import uuid
from collections.abc import Iterator, Mapping
from itertools import chain
from typing import Any

import strawberry
import strawberry_django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query_utils import DeferredAttribute
from graphql import GraphQLObjectType
from strawberry import LazyType, relay
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.permission import PermissionExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.types.base_scalars import UUIDDefinition
from strawberry.tools import merge_types
from strawberry.types.base import StrawberryContainer
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.optimizer import DjangoOptimizerExtension

from backend.graphql.cost import MaxNodesLimiter
from backend.graphql.errors import is_unexpected, log_errors
from backend.graphql.permissions import HasPerm
from backend.registry import REFS_MODULE, Manifest, ModuleConfig, active_modules, view_permissions

#: strawberry's UUID scalar, with the description the SDL reference needs.
UUID_SCALAR = dataclasses.replace(
    UUIDDefinition,
    description="A UUID in its canonical text form (RFC 9562), e.g. "
    '"75250515-40d7-4c77-bafe-a2c65ffc5a72".',
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
                    spliced = copy.copy(ext_field)
                    spliced.origin = target
                    target_def.fields.append(spliced)


def load_manifests(modules: list[ModuleConfig] | None = None) -> dict[str, Manifest]:
    """The manifests of ``modules`` (default: the active modules), by module label."""
    modules = active_modules() if modules is None else modules
    return {m.label: m.manifest for m in modules}


def named_types(field: Any) -> Iterator[type]:
    """The classes a field's type names, through lists, optionals and lazy references."""
    stack = [field.type]
    while stack:
        type_ = stack.pop()
        if isinstance(type_, StrawberryContainer):
            stack.append(type_.of_type)
        elif isinstance(type_, LazyType):
            stack.append(type_.resolve_type())
        elif isinstance(type_, type):
            yield type_


def guard_foreign_fields(type_name: str, fields: list, permissions: Mapping[str, str]) -> None:
    """Guard the ``fields`` of the type ``type_name`` that return another module's type.

    ``permissions``: GraphQL type name -> view permission of the owning module
    (:func:`backend.registry.view_permissions`). A field returning a type whose view
    permission differs from ``type_name``'s gets ``HasPerm(<that permission>)`` (unless it
    has it already): ``Payer.location`` needs ``location.view_location`` although the
    payer module never names it. Changes the field objects in place (build fresh copies).
    """
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
    subgraphs): the optimizer and guard rails, the page limit and the UUID scalar."""
    return {
        "extensions": schema_extensions(),
        "config": StrawberryConfig(relay_max_results=settings.GRAPHQL_MAX_PAGE_SIZE),
        "scalar_overrides": {uuid.UUID: UUID_SCALAR},
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


def _plain_model_attribute(field: object):
    """The model class attribute behind a strawberry-django field without a resolver
    and without field extensions (permissions, pagination …); None for any other."""
    if (
        not isinstance(field, StrawberryDjangoField)
        or field.base_resolver is not None
        or field.extensions
        or field.origin_django_type is None
    ):
        return None
    model = field.origin_django_type.model
    return getattr(model, field.django_name or field.python_name, None)


def read_columns_directly(schema: strawberry.Schema) -> list[str]:
    """Resolve the column fields and the forward relations of Django types directly.

    strawberry-django resolves every field, a column as well as a relation, through its
    generic path (an ``Info`` object, argument conversion, the field's extension chain,
    a look into Django's caches): some 10 µs a value, most of the time of a large page.
    For a column field without resolver or field extension that path ends in
    ``getattr(row, attname)`` (a deferred column is fetched by Django, as before); for a
    forward relation (``parent``, ``location``) joined by the optimizer, in Django's
    cache of the joined row. The GraphQL field gets that resolver directly; a relation
    not in the cache goes the generic way. Returns the ``Type.field`` names changed.
    """
    changed = []
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for name, graphql_field in graphql_type.fields.items():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            attribute = _plain_model_attribute(field)
            if getattr(graphql_field.resolve, "direct", False):
                pass  # done already (the function was called again)
            elif type(attribute) is DeferredAttribute:
                graphql_field.resolve = _column_reader(attribute.field.attname)
            elif type(attribute) is ForwardManyToOneDescriptor:
                graphql_field.resolve = _joined_reader(
                    attribute.field.cache_name, graphql_field.resolve
                )
            else:
                continue
            changed.append(f"{graphql_type.name}.{name}")
    return changed


def _joined_reader(cache_name: str, generic):
    def resolve(source, info, **kwargs):
        try:
            return source._state.fields_cache[cache_name]
        except (AttributeError, KeyError):
            return generic(source, info, **kwargs)

    resolve.direct = True
    return resolve


def _column_reader(attname: str):
    def resolve(source, info):
        return getattr(source, attname)

    resolve.direct = True
    return resolve


class Schema(strawberry.Schema):
    """strawberry's schema, logging only unexpected errors (with their traceback)."""

    def process_errors(self, errors, execution_context=None) -> None:
        log_errors(errors)


class Optimizer(DjangoOptimizerExtension):
    """strawberry-django's query optimizer, without its per-field hook.

    The optimizer's ``resolve`` hook runs as graphql-core middleware, around every field
    of every object of an answer (a page of 1,000 locations: some 7,000 calls), to catch
    a resolver returning an unevaluated QuerySet. Here none does: the connection and
    relation fields of strawberry-django optimize their querysets themselves (with the
    optimizer this extension installs for the operation), and the custom resolvers call
    ``optimize()``. The query-count tests hold the proof.
    """

    resolve = SchemaExtension.resolve


#: Parsed and validated documents kept per process (LRU): a client sends the same few
#: documents again and again, so parsing and validating them once is enough.
DOCUMENT_CACHE_SIZE = 256


@functools.cache
def guard_rules(max_depth: int, max_aliases: int) -> tuple:
    """The validation rules of the depth and alias limits, created once per process.

    The limiters create a new rule class per instance; the validation cache is keyed by
    the rule classes, so they must be the same objects in every request.
    """
    return (
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    )


def schema_extensions() -> list:
    """The optimizer, the guard rails and the document caches, from settings.

    ``GRAPHQL_MAX_DEPTH`` (query depth), ``GRAPHQL_MAX_ALIASES`` (aliases per document),
    ``GRAPHQL_MAX_TOKENS`` (tokens per document), ``GRAPHQL_MAX_NODES`` (objects an
    answer may hold, see :mod:`backend.graphql.cost`); unexpected errors are masked unless
    ``DEBUG``. Parsing (with the token limit) and validation (with the depth and alias
    rules) are cached per document text.
    """
    extensions = [
        Optimizer,
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: AddValidationRules(
            list(guard_rules(settings.GRAPHQL_MAX_DEPTH, settings.GRAPHQL_MAX_ALIASES))
        ),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        MaxNodesLimiter,
    ]
    if not settings.DEBUG:
        extensions.append(lambda: MaskErrors(should_mask_error=is_unexpected))
    return extensions


@functools.cache
def get_schema() -> strawberry.Schema:
    """The schema of the active modules, built once per process."""
    return build_schema()
