"""The start-up checks of the manifests' GraphQL declarations (:mod:`backend.manifest_checks`
runs them before the schema is composed): every problem is a message
``"module '<label>': <problem>"``, so that a bad manifest stops start-up in one line
instead of a traceback from strawberry or at the first query."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from strawberry import LazyType
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import StrawberryContainer

from backend.graphql.compiler.sources import RelatedConnection, RelatedRows, source_of
from backend.graphql.schema import fresh_fields
from backend.registry import REFS_MODULE, ModuleConfig

#: The schema's field names (auto camel case, as :func:`backend.graphql.schema.build_schema`).
_NAMES = NameConverter(auto_camel_case=True)


def _definition(cls: Any) -> Any:
    return getattr(cls, "__strawberry_definition__", None)


def _fields(cls: type) -> list:
    """The fields ``cls`` was declared with (a built schema splices extensions into the
    definitions: :func:`backend.graphql.schema.fresh_fields`)."""
    if not hasattr(_definition(cls), "fields"):
        return []  # an enum, a scalar
    return fresh_fields(cls)


def _type_name(cls: type) -> str:
    return _definition(cls).name


def graphql_problems(modules: list[ModuleConfig]) -> list[str]:
    """The problems of the GraphQL declarations of ``modules`` (the active modules, in
    order), each ``"module '<label>': <problem>"``.

    Refused: a ``ref()`` to a GraphQL type no module of ``modules`` declares; an
    extension of such a type; an extension field whose GraphQL name the type already has
    (naming the module owning it); federation ``keys`` for a type the module does not
    declare; a field of an owned type or extension over a relation (or attribute) the
    type's model lacks. Owned types that are not strawberry types are left to the
    permission check (``declares no view_permission``).
    """
    owned = {
        _type_name(cls): (module.label, cls)
        for module in modules
        for cls in module.manifest.types
        if _definition(cls) is not None
    }
    problems: list[str] = []
    fields_of = {
        name: {_NAMES.get_graphql_name(f): label for f in _fields(cls)}
        for name, (label, cls) in owned.items()
    }
    for module in modules:
        manifest, say = module.manifest, f"module {module.label!r}: "
        for name in manifest.keys:
            if owned.get(name, (None,))[0] != module.label:
                problems.append(f"{say}keys names GraphQL type {name!r}, which it does not declare")
        for cls in manifest.types:
            if _definition(cls) is not None:
                problems.extend(say + p for p in _relation_problems(cls, cls))
        for target, extensions in manifest.extensions.items():
            if target not in owned:
                problems.append(
                    f"{say}extends GraphQL type {target!r}, which no active module declares"
                )
                continue
            for extension in extensions:
                problems.extend(say + p for p in _relation_problems(owned[target][1], extension))
                for spliced in _fields(extension):
                    name = _NAMES.get_graphql_name(spliced)
                    owner = fields_of[target].get(name)
                    if owner:
                        problems.append(
                            f"{say}adds field {name!r} to {target!r}, which already has a "
                            f"field of that name (declared by module {owner!r})"
                        )
                    else:
                        fields_of[target][name] = module.label
        problems.extend(say + p for p in _ref_problems(_roots(manifest), set(owned)))
    return problems


def _roots(manifest: Any) -> list[type]:
    """The strawberry types a manifest names (owned types, root types, extensions)."""
    extensions = [cls for group in manifest.extensions.values() for cls in group]
    return [*manifest.types, *manifest.queries, *manifest.mutations, *extensions]


def _ref_problems(roots: list[type], declared: set[str]) -> Iterator[str]:
    """Each ``ref(name)`` reachable from ``roots`` (fields, arguments, the strawberry
    types they return, connections) whose ``name`` is not in ``declared``."""
    seen: set[type] = set()
    pending = [cls for cls in roots if _definition(cls) is not None]
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for f in _fields(cls):
            annotations = [f.type_annotation, *(a.type_annotation for a in f.arguments)]
            for annotation in annotations:
                raw = getattr(annotation, "annotation", annotation)
                for found in _named(raw):
                    if isinstance(found, LazyType):
                        if found.module == REFS_MODULE and found.type_name not in declared:
                            yield (
                                f"{_type_name(cls)}.{_NAMES.get_graphql_name(f)} refers to "
                                f"ref({found.type_name!r}), a GraphQL type no active "
                                "module declares"
                            )
                    elif _definition(found) is not None:
                        pending.append(found)


def _named(annotation: Any) -> Iterator[Any]:
    """The lazy references and classes an annotation names, through unions, generics
    (lists, connections) and strawberry containers; a forward reference by string is
    left to strawberry."""
    stack = [annotation]
    while stack:
        current = stack.pop()
        if current is None or isinstance(current, str):
            continue
        if isinstance(current, LazyType):
            yield current
        elif isinstance(current, StrawberryContainer):
            stack.append(current.of_type)
        else:
            stack.extend(typing.get_args(current))
            origin = typing.get_origin(current)
            if isinstance(origin, type):
                yield origin
            elif isinstance(current, type):
                yield current


def _relation_problems(owner: type, cls: type) -> Iterator[str]:
    """Each field of ``cls`` (an owned type or an extension of ``owner``) over a reverse
    relation (:func:`backend.graphql.relations.prefetched_list`, ``prefetched_connection``)
    or a plain model attribute that ``owner``'s Django model lacks."""
    django = getattr(owner, "__strawberry_django_definition__", None)
    if django is None:
        return
    model = django.model
    relations = {f.name for f in model._meta.get_fields()}
    for f in _fields(cls):
        source = source_of(f)
        if isinstance(source, RelatedRows | RelatedConnection):
            if source.relation not in relations:
                yield (
                    f"{_type_name(owner)}.{_NAMES.get_graphql_name(f)} lists the relation "
                    f"{source.relation!r}, which {model._meta.label} does not have"
                )
        elif _plain_model_field(f) and not hasattr(model, f.django_name):
            yield (
                f"{_type_name(owner)}.{_NAMES.get_graphql_name(f)} reads "
                f"{f.django_name!r}, which {model._meta.label} does not have"
            )


def _plain_model_field(f: Any) -> bool:
    """Whether ``f`` is a strawberry-django field read straight off the model (no
    resolver, no annotation, no row source of the core)."""
    return (
        bool(getattr(f, "django_name", None))
        and f.base_resolver is None
        and not getattr(f, "annotate", None)
        and source_of(f) is None
        and not getattr(f, "is_relay_id", False)
    )
