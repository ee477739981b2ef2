"""The start-up checks of the manifests' data and surface declarations (placement, FHIR,
JSON:API, legacy tables; :mod:`backend.manifest_checks` runs them): every problem is a
message ``"module '<label>': <problem>"``, so that a bad manifest stops start-up in one
line instead of failing at the first request or import."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from backend.legacy.readings import reading
from backend.registry import ModuleConfig


def surface_problems(modules: list[ModuleConfig]) -> list[str]:
    """The problems of the placement, FHIR, JSON:API and legacy declarations of
    ``modules`` (the active modules, in order), each ``"module '<label>': <problem>"``.

    Refused: a placement whose field path is no chain of foreign keys of the model; a
    FHIR resource type, JSON:API type, legacy table name or legacy option that two
    declarations share (naming the module declaring it first); a JSON:API relationship
    added twice to a type, or relating to a type no module serves; a legacy column
    mapped to an attribute the model lacks or to a field no legacy reading takes
    (naming the table, column and field type). Unknown model labels
    are :func:`backend.manifest_checks.check_manifests`' own check, not repeated here.
    """
    problems: list[str] = []
    for module in modules:
        for label, placement in module.manifest.placement.items():
            problem = _placement_problem(label, placement.field)
            if problem:
                problems.append(f"module {module.label!r}: {problem}")
    problems.extend(_clashes(modules, "FHIR resource type", lambda m: m.fhir, "resource_type"))
    problems.extend(_clashes(modules, "JSON:API type", lambda m: m.jsonapi, "type"))
    problems.extend(_clashes(modules, "legacy table", lambda m: m.legacy_tables, "name"))
    problems.extend(_clashes(modules, "legacy option", lambda m: m.legacy_tables, "option"))
    problems.extend(_jsonapi_problems(modules))
    for module in modules:
        for table in module.manifest.legacy_tables:
            problems.extend(f"module {module.label!r}: {p}" for p in _legacy_column_problems(table))
    return problems


def _legacy_column_problems(table: Any) -> Iterator[str]:
    """Each column of a legacy table mapped to an attribute its model lacks, or to a
    field of a type no legacy reading takes (:func:`backend.legacy.readings.reading`:
    its list of the field types a legacy mapping supports)."""
    try:
        meta = apps.get_model(table.model)._meta
    except (LookupError, ValueError, AttributeError):
        return  # no LegacyTable, or its model is unknown: active_tables refuses it
    for column, attname in table.fields.items():
        try:
            field = meta.get_field(attname)
        except FieldDoesNotExist:
            yield (
                f"legacy table {table.name!r} maps the column {column!r} to {attname!r}, "
                f"which {meta.label} does not have"
            )
            continue
        try:
            reading(field)
        except TypeError:
            yield (
                f"legacy table {table.name!r} maps the column {column!r} to "
                f"{meta.label}.{field.name}, a {type(field).__name__}, which has no "
                "legacy reading"
            )


def _placement_problem(label: str, path: str) -> str | None:
    """Why ``path`` (``"location"``, ``"payer__location"``) is no chain of foreign keys
    from the model ``label`` (None when it is, or when ``label`` names no model)."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    for step in path.split("__"):
        try:
            field = model._meta.get_field(step)
        except FieldDoesNotExist:
            return (
                f"placement of {label!r}: {path!r} names {step!r}, which "
                f"{model._meta.label} does not have"
            )
        if not (field.many_to_one or field.one_to_one) or not field.concrete:
            return (
                f"placement of {label!r}: {path!r} names {step!r}, which is no foreign "
                f"key of {model._meta.label}"
            )
        model = field.related_model
    return None


def _clashes(
    modules: list[ModuleConfig],
    what: str,
    declared: Callable[[Any], Iterable[Any]],
    attribute: str,
) -> Iterator[str]:
    """Each declaration (``declared(manifest)``) whose ``attribute`` an earlier one, of
    this module or another, has already: ``what`` names it in the message."""
    first: dict[Any, str] = {}
    for module in modules:
        for item in declared(module.manifest):
            value = getattr(item, attribute, None)
            if value in first:
                yield (
                    f"module {module.label!r}: {what} {value!r} is declared by module "
                    f"{first[value]!r} already"
                )
            else:
                first[value] = module.label


def _jsonapi_problems(modules: list[ModuleConfig]) -> Iterator[str]:
    """Each JSON:API relationship added twice to one type, or relating to a type no
    module serves (:func:`backend.jsonapi.assemble` builds only what passes)."""
    served = {r.type: set(_relationships(r)) for m in modules for r in m.manifest.jsonapi}
    for module in modules:
        say = f"module {module.label!r}: "
        for resource in module.manifest.jsonapi:
            for name, relationship in _relationships(resource).items():
                if relationship.type not in served:
                    yield (
                        f"{say}JSON:API relationship {resource.type}.{name} relates to "
                        f"{relationship.type!r}, which no active module serves"
                    )
        for target, added in module.manifest.jsonapi_relationships.items():
            if target not in served:
                continue  # the owner is not active: nothing to extend
            for name, relationship in added.items():
                if name in served[target]:
                    yield f"{say}adds JSON:API relationship {name!r} to {target!r}, which has one"
                served[target].add(name)
                if relationship.type not in served:
                    yield (
                        f"{say}JSON:API relationship {target}.{name} relates to "
                        f"{relationship.type!r}, which no active module serves"
                    )


def _relationships(resource: Any) -> dict[str, Any]:
    """The relationships a JSON:API resource declares itself (none when it has no such
    attribute, as the stand-ins of the manifest tests)."""
    return dict(getattr(resource, "relationships", None) or {})
