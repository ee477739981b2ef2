"""Subgraph mode: each active module served as an Apollo Federation v2 subgraph.

Built from the same registry as the composed schema (:func:`build_schema`). The subgraph
of module ``M`` holds:

1. ``M``'s root queries and mutations;
2. the types ``M`` owns, with ``@key`` on those it declares in ``Manifest.keys``;
3. for every type owned by another module that ``M`` extends or references (``ref``),
   an entity stub: the owner's key field plus ``M``'s extension fields, ``@key``
   resolvable when ``M`` adds fields (composition rejects a non-resolvable stub that
   adds fields), ``resolvable: false`` when it only references the type;
4. the core's value types that every subgraph serves (relay ``PageInfo``) marked
   ``@shareable``.

``_entities`` is resolved in batches: one query per entity type for any number of
representations (plus the optimizer's prefetches for the selected fields); an unknown
key yields null for that item with an error.

How the definitions are kept apart: the owned classes keep the definitions of the
composed schema (extensions spliced in), which strawberry-django's optimizer reads at run
time, from every schema of the process. A subgraph build installs copies of the
definitions (its own fields and directives) on the classes only while strawberry converts
them, then puts the composed ones back, so the monolith and every subgraph can live in
one process. The copies have the same origin class, so the optimizer and strawberry's
checks treat them as the same type.
"""

from __future__ import annotations

import copy
import functools
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import strawberry
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models
from graphql import GraphQLError
from strawberry import relay
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key, Shareable
from strawberry.schema.name_converter import NameConverter
from strawberry.types.info import Info
from strawberry.types.unset import UNSET
from strawberry_django.optimizer import OptimizerStore, optimize
from strawberry_django.utils.typing import get_django_definition

from backend.graphql.error_logging import report_errors
from backend.graphql.errors import UserErrorType
from backend.graphql.permissions import authorize, current_user
from backend.graphql.schema import (
    definition_of,
    fresh_fields,
    guard_foreign_fields,
    load_manifests,
    merge_roots,
    named_types,
    publish_types,
    schema_options,
    splice_field,
)
from backend.json_text import json_kind
from backend.permissions import NotAuthenticated, denied
from backend.registry import Manifest, ModuleConfig, view_permissions
from backend.rights import readable

#: Apollo Federation version of the subgraphs (``@link`` to federation/v2.7).
FEDERATION_VERSION = "2.7"

#: Object types of the core or of strawberry that several subgraphs serve as they are.
SHAREABLE_TYPES: tuple[type, ...] = (relay.PageInfo, UserErrorType)


@dataclass(frozen=True)
class Entity:
    """How a subgraph resolves representations of one entity type.

    ``key``: the GraphQL key field (``uuid``); ``model``: the Django model; ``lookup``:
    the unique model field the key maps to; ``permission``: the Django permission a
    caller needs to resolve it (the owner type's ``view_permission``), or None.
    """

    key: str
    model: type[models.Model]
    lookup: str
    permission: str | None = None


class SubgraphSchema(strawberry.federation.Schema):
    """A federation schema whose ``_entities`` resolves representations in batches.

    ``entities``: GraphQL type name -> :class:`Entity`, for every ``@key`` type.
    """

    def __init__(self, *args: Any, entities: dict[str, Entity], **kwargs: Any) -> None:
        self.entities = entities
        super().__init__(*args, **kwargs)

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        """Objects for ``representations`` (``{"__typename", <key>}``), in their order.

        Per entity type one query fetches every key at once (the optimizer adds the
        prefetches of the selected fields), so the cost does not grow with the number of
        representations. An item whose key is malformed or unknown becomes an error
        (null for that item in the answer).
        """
        results: list[Any] = [None] * len(representations)
        wanted: dict[str, dict[Any, list[int]]] = defaultdict(lambda: defaultdict(list))
        for index, representation in enumerate(representations):
            parsed = self._parse_representation(representation)
            if isinstance(parsed, GraphQLError):
                results[index] = parsed
                continue
            typename, value = parsed
            wanted[typename][value].append(index)
        for typename, by_value in wanted.items():
            entity = self.entities[typename]
            refusal = _refusal(info, entity.permission)
            if refusal is not None:
                for indexes in by_value.values():
                    for index in indexes:
                        results[index] = refusal
                continue
            queryset = readable(  # district rights: a row outside them is NOT_FOUND
                entity.model._default_manager.filter(**{f"{entity.lookup}__in": list(by_value)}),
                current_user(info),
            ).order_by()  # the answer follows the representations' order
            # The key is read from each object: make the optimizer keep its column.
            store = OptimizerStore.with_hints(only=[entity.lookup])
            found = {
                getattr(obj, entity.lookup): obj for obj in optimize(queryset, info, store=store)
            }
            for value, indexes in by_value.items():
                obj = found.get(value)
                for index in indexes:
                    results[index] = (
                        obj
                        if obj is not None
                        else GraphQLError(
                            f"No {typename} with {entity.key} {value}.",
                            extensions={"code": "NOT_FOUND"},
                        )
                    )
        return results

    def _parse_representation(self, representation: Any) -> tuple[str, Any] | GraphQLError:
        """``(typename, key value)`` of one representation, or the error saying what is
        wrong with it (BAD_USER_INPUT): not an object, a ``__typename`` that names no
        entity of this subgraph, a key missing or of the wrong JSON type (a UUID key is
        a string: a number is no UUID) or malformed."""
        if not isinstance(representation, dict):
            return _bad_input(
                "A representation must be an object with __typename and the key, "
                f"not {json_kind(representation)}."
            )
        if "__typename" not in representation:
            return _bad_input("A representation needs __typename, an entity of this subgraph.")
        typename = representation["__typename"]
        if not isinstance(typename, str):
            return _bad_input(
                "A representation's __typename must be the name of an entity of this "
                f"subgraph, not {json_kind(typename)}."
            )
        entity = self.entities.get(typename)
        if entity is None:
            return _bad_input(f"{typename!r} is not an entity of this subgraph.")
        raw = representation.get(entity.key)
        field = entity.model._meta.get_field(entity.lookup)
        integer = field.get_internal_type().endswith(("IntegerField", "AutoField"))
        expected = int if integer else str
        if not isinstance(raw, expected) or isinstance(raw, bool):
            return _bad_input(f"Representation of {typename} needs a valid {entity.key!r}.")
        try:
            return typename, field.to_python(raw)
        except ValidationError:
            return _bad_input(f"Representation of {typename} needs a valid {entity.key!r}.")

    def process_errors(self, errors, execution_context=None) -> None:
        report_errors(errors, execution_context)


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def _refusal(info: Info, permission: str | None) -> GraphQLError | None:
    """The error for a caller without ``permission`` (None when allowed)."""
    if permission is None:
        return None
    try:
        allowed = authorize(info, permission)
    except NotAuthenticated as error:
        return GraphQLError(str(error), extensions={"code": "UNAUTHENTICATED"})
    except PermissionDenied as error:
        return GraphQLError(str(error), extensions={"code": "FORBIDDEN"})
    if allowed:
        return None
    return GraphQLError(denied(permission), extensions={"code": "FORBIDDEN"})


def _graphql_name(field: Any) -> str:
    return NameConverter().get_graphql_name(field)


def _entity(cls: type, key: str, owner: str) -> tuple[Any, Entity]:
    """The key field of ``cls`` (a fresh copy) and how to resolve it as an entity."""
    django_definition = get_django_definition(cls)
    field = next((f for f in fresh_fields(cls) if _graphql_name(f) == key), None)
    if django_definition is None or field is None:
        raise ImproperlyConfigured(
            f"Module {owner!r} declares key {key!r} of {definition_of(cls).name!r}: it "
            "must be a field of a strawberry_django type."
        )
    lookup = getattr(field, "django_name", None) or field.python_name
    model = django_definition.model
    if not model._meta.get_field(lookup).unique:
        raise ImproperlyConfigured(
            f"Key {key!r} of {definition_of(cls).name!r} maps to {model.__name__}.{lookup}, "
            "which is not unique."
        )
    permission = getattr(cls, "view_permission", None)
    return field, Entity(key=key, model=model, lookup=lookup, permission=permission)


def _copy_definition(cls: type, fields: list, directives: list, interfaces=None) -> Any:
    definition = copy.copy(definition_of(cls))
    definition.fields = fields
    definition.directives = [*(definition.directives or ()), *directives]
    if interfaces is not None:
        definition.interfaces = interfaces
    return definition


def _extension_classes(manifest: Manifest) -> list[type]:
    return [cls for classes in manifest.extensions.values() for cls in classes]


@contextmanager
def _installed(definitions: dict[type, Any]) -> Iterator[None]:
    """Install ``definitions`` on their classes for the duration of the block."""
    saved = {cls: cls.__strawberry_definition__ for cls in definitions}
    try:
        for cls, definition in definitions.items():
            cls.__strawberry_definition__ = definition
        yield
    finally:
        for cls, definition in saved.items():
            cls.__strawberry_definition__ = definition


def build_subgraph(label: str, modules: list[ModuleConfig] | None = None) -> SubgraphSchema:
    """Build the federation subgraph of the module ``label``.

    ``modules``: the modules of the process (default: the active ones); the types other
    modules own must be among them (``requires`` makes sure of it). Returns a
    :class:`SubgraphSchema`; raises ImproperlyConfigured for an unknown module, an
    extended type without a declared key, or a key that is not a unique model field.
    """
    manifests = load_manifests(modules)
    if label not in manifests:
        raise ImproperlyConfigured(f"No active module {label!r} to serve as a subgraph.")
    owned = publish_types(manifests)
    owner_of = {
        definition_of(cls).name: module
        for module, manifest in manifests.items()
        for cls in manifest.types
    }
    keys = {name: m.keys[name] for m in manifests.values() for name in m.keys}
    mine: Manifest = manifests[label]
    permissions = view_permissions(modules)

    definitions: dict[type, Any] = {}
    entities: dict[str, Entity] = {}
    for cls in mine.types:
        name = definition_of(cls).name
        directives = []
        if name in mine.keys:
            _, entities[name] = _entity(cls, mine.keys[name], label)
            directives.append(Key(fields=mine.keys[name], resolvable=UNSET))
        fields = fresh_fields(cls)
        guard_foreign_fields(name, fields, permissions)
        definitions[cls] = _copy_definition(cls, fields, directives)

    # Types of other modules this one extends or references become entity stubs.
    foreign = dict.fromkeys(mine.extensions)
    for cls in (*mine.types, *mine.queries, *mine.mutations, *_extension_classes(mine)):
        for field in fresh_fields(cls):
            for named in named_types(field):
                name = getattr(getattr(named, "__strawberry_definition__", None), "name", None)
                if name in owner_of and owner_of[name] != label:
                    foreign.setdefault(name)
    for name in foreign:
        target = owned.get(name)
        if target is None:
            raise ImproperlyConfigured(
                f"Module {label!r} extends GraphQL type {name!r}, which no active module declares."
            )
        if name not in keys:
            raise ImproperlyConfigured(
                f"Module {label!r} extends or references {name!r} in its subgraph, so "
                f"module {owner_of[name]!r} must declare its key (Manifest.keys)."
            )
        key_field, entity = _entity(target, keys[name], owner_of[name])
        added = []
        for extension in mine.extensions.get(name, ()):
            added.extend(splice_field(f, target, label) for f in fresh_fields(extension))
        guard_foreign_fields(name, added, permissions)
        if added:
            entities[name] = entity
        definitions[target] = _copy_definition(
            target,
            [key_field, *added],
            [Key(fields=keys[name], resolvable=UNSET if added else False)],
            [],
        )
    for cls in SHAREABLE_TYPES:
        definitions[cls] = _copy_definition(cls, list(definition_of(cls).fields), [Shareable()])

    query, mutation = merge_roots(list(mine.queries), list(mine.mutations))
    with _installed(definitions):
        return SubgraphSchema(
            query=query,
            mutation=mutation,
            types=[cls for cls in definitions if cls not in SHAREABLE_TYPES],
            federation_version=FEDERATION_VERSION,
            entities=entities,
            **schema_options(),
        )


@functools.cache
def get_subgraph(label: str) -> SubgraphSchema:
    """The subgraph of the active module ``label``, built once per process."""
    apps.get_app_config(label)
    return build_subgraph(label)
