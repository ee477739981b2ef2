"""FHIR Bulk Data files: NDJSON export and import of every contributed resource type.

The format is the FHIR Bulk Data Access one (``application/fhir+ndjson``): one file per
resource type, ``<type>.ndjson``, one resource per line, as ``GET /fhir/<type>/<id>``
serves it. Only current resources are exported (no history, no deleted ones).

The import writes through the modules' services (the one write path: rules,
permissions of the acting user, history), keeping each resource's id as its uuid (an id
must be the uuid's canonical spelling, :func:`backend.ids.parse_id`, or it would not be
kept as sent) and ``meta.lastUpdated`` as its ``validity_from``, so exporting an
imported database gives the same files. It orders the resources so that a referenced
resource comes before the ones that reference it (a parent before its children, a
location before its payers). It is all or nothing: every line is checked, and one
problem anywhere writes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
from django.core.exceptions import PermissionDenied
from django.db import transaction

from backend.errors import ValidationFailed
from backend.fhir import FhirError, FhirResource, fhir_resources
from backend.fhir.errors import validation_problems
from backend.fhir.versions import _current_queryset, _with_versions, render_current
from backend.fhir.writable import parse_resource
from backend.ids import parse_id
from backend.json_text import decode

#: Pages of rows read from the database while exporting.
CHUNK = 2000


def export(directory: Path) -> dict[str, int]:
    """Write ``<type>.ndjson`` into ``directory`` (created if missing) for every
    resource type of the active modules; returns the number of resources per type.
    An operator's command: every current row, whatever district rights."""
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for resource_type, resource in fhir_resources().items():
        rows = _with_versions(_current_queryset(resource, None)).order_by("pk")
        path = directory / f"{resource_type}.ndjson"
        with path.open("w", encoding="utf-8", newline="\n") as out:
            counts[resource_type] = 0
            for row in rows.iterator(chunk_size=CHUNK):
                body = render_current(resource, row)
                out.write(json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")
                counts[resource_type] += 1
    return counts


class ImportFailed(Exception):
    """The files hold problems (``problems``: one message per problem, each naming the
    file and line); nothing was written."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s); nothing was imported.")
        self.problems = problems


def import_files(paths: list[Path], *, user: Any) -> dict[str, int]:
    """Create every resource of the NDJSON files ``paths`` through the services, as
    ``user``; returns the number created per type. Raises :class:`ImportFailed` (nothing
    written) listing every unreadable line, unknown type, duplicate or existing id,
    and every rule of the services a resource breaks."""
    resources = fhir_resources()
    lines, problems = _read(paths, resources)
    ordered = _ordered(lines, problems)
    counts = dict.fromkeys(resources, 0)
    existing = _existing(ordered)
    with transaction.atomic():
        for where, resource, parsed, _data in ordered:
            key = uuid.UUID(parsed.id)
            if key in existing:
                problems.append(f"{where}: {resource.resource_type}/{key} already exists.")
                continue
            try:
                resource.create(
                    parsed,
                    user=user,
                    key=key,
                    as_of=parsed.meta.lastUpdated if parsed.meta else None,
                )
            except ValidationFailed as error:
                problems += [f"{where}: {e.code}: {e.message}" for e in error.errors]
                continue
            except (FhirError, PermissionDenied) as error:
                problems.append(f"{where}: {getattr(error, 'message', error)}")
                continue
            counts[resource.resource_type] += 1
        if problems:
            transaction.set_rollback(True)
            raise ImportFailed(problems)
    return counts


#: (file:line, the resource type, the validated resource, its JSON)
Line = tuple[str, FhirResource, Any, dict[str, Any]]


def _read(paths: list[Path], resources: dict[str, FhirResource]) -> tuple[list[Line], list[str]]:
    lines: list[Line] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    for path in paths:
        with path.open(encoding="utf-8") as text:
            for number, line in enumerate(text, start=1):
                where = f"{path.name}:{number}"
                if not line.strip():
                    continue
                try:
                    data = decode(line)
                    resource = (
                        resources.get(data.get("resourceType")) if isinstance(data, dict) else None
                    )
                    if resource is None:
                        kind = data.get("resourceType") if isinstance(data, dict) else data
                        problems.append(
                            f"{where}: resource type {kind!r} is not served "
                            f"(served: {', '.join(resources)})."
                        )
                        continue
                    parsed = parse_resource(resource, data)
                except ValueError as error:  # JSON and pydantic errors
                    problems.append(f"{where}: {_describe(error)}")
                    continue
                except FhirError as error:  # an element it would not keep
                    problems.append(f"{where}: {error.message}")
                    continue
                if parse_id(parsed.id or "") is None:  # it would not be kept as sent
                    problems.append(
                        f"{where}: the id {parsed.id!r} is not a uuid in canonical form "
                        "(lower case, hyphenated)."
                    )
                    continue
                first = seen.setdefault((resource.resource_type, parsed.id), where)
                if first != where:
                    problems.append(
                        f"{where}: {resource.resource_type}/{parsed.id} is also on {first}."
                    )
                    continue
                lines.append((where, resource, parsed, data))
    return lines, problems


def _existing(lines: list[Line]) -> set[uuid.UUID]:
    """The ids among ``lines`` that rows of the database already have (any version)."""
    found: set[uuid.UUID] = set()
    by_model: dict[Any, list[uuid.UUID]] = {}
    for _where, resource, parsed, _data in lines:
        by_model.setdefault(resource.get_model(), []).append(uuid.UUID(parsed.id))
    for model, keys in by_model.items():
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            found.update(
                model._default_manager.filter(uuid__in=chunk).values_list("uuid", flat=True)
            )
    return found


def _describe(error: ValueError) -> str:
    if isinstance(error, pydantic.ValidationError):
        return validation_problems(error)
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON ({error.msg}, column {error.colno})"
    return str(error)


def _references(value: Any) -> Iterator[str]:
    """Every ``reference`` string inside a resource's JSON."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _ordered(lines: list[Line], problems: list[str]) -> list[Line]:
    """``lines`` with every resource after the resources of the files it references."""
    by_key = {f"{line[1].resource_type}/{line[2].id}": line for line in lines}
    done: set[str] = set()
    ordered: list[Line] = []
    for key in by_key:
        stack = [(key, iter(_references(by_key[key][3])))]
        visiting = {key}
        while stack:
            current, pending = stack[-1]
            target = next((t for t in pending if t in by_key and t not in done), None)
            if target is None:
                stack.pop()
                visiting.discard(current)
                if current not in done:
                    done.add(current)
                    ordered.append(by_key[current])
            elif target in visiting:
                problems.append(f"{by_key[current][0]}: references form a cycle through {target}.")
                done.add(target)
            else:
                visiting.add(target)
                stack.append((target, iter(_references(by_key[target][3]))))
    return ordered
