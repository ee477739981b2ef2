"""The active modules' test samples (``Manifest.samples``), for the generated tests.

The permission matrix and the fuzz tests read every module's sample world, cases and
limits from here, so a new module is covered as soon as its manifest has samples, and
no test outside its folder names it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from django.apps import apps
from strawberry.relay import to_base64

from backend.graphql.schema import get_schema
from backend.registry import Samples, active_modules, view_permissions

MODULES = active_modules()
#: Module label -> its samples (a module without samples has no root fields to test).
SAMPLES: dict[str, Samples] = {
    m.label: m.manifest.samples for m in MODULES if m.manifest.samples is not None
}
#: Row name -> GraphQL type, over every module, in module order.
NAMES: dict[str, str] = {n: t for s in SAMPLES.values() for n, t in s.names.items()}
VIEW = view_permissions()


def ids(name: str) -> tuple[int, uuid.UUID]:
    """The primary key and uuid of the sample row ``name``: fixed, far above the
    sequences other rows use, so that strategies can name real rows."""
    index = list(NAMES).index(name) + 1
    return 910_000 + index, uuid.UUID(int=0x5EED_0000_0000_4000_8000_0000_0000_0000 + index)


UUIDS = {name: str(ids(name)[1]) for name in NAMES}
GLOBAL_IDS = {name: to_base64(type_, ids(name)[0]) for name, type_ in NAMES.items()}
PLACEHOLDERS = {
    **{f"{{{n}}}": v for n, v in UUIDS.items()},
    **{f"{{{n}_id}}": v for n, v in GLOBAL_IDS.items()},
    **{f"{{view:{t}}}": p for t, p in VIEW.items()},
}


def create_world() -> None:
    """Create every active module's sample rows (module order: requirements first)."""
    for samples in SAMPLES.values():
        samples.world(ids)


def fill(template: Any) -> Any:
    """``template`` (a document, variables or an answer) with the placeholders filled."""
    if isinstance(template, str):
        for key, value in PLACEHOLDERS.items():
            template = template.replace(key, value)
        return template
    if isinstance(template, dict):
        return {fill(k): fill(v) for k, v in template.items()}
    if isinstance(template, list | tuple):
        return type(template)(fill(v) for v in template)
    return template


def merged(attribute: str) -> dict:
    """One mapping attribute of every module's samples, merged (``queries``, ...).
    ``queries`` includes the cases :func:`list_forms` derives."""
    cases = {k: v for s in SAMPLES.values() for k, v in getattr(s, attribute).items()}
    if attribute == "queries":
        cases = {**list_forms(cases), **cases}
    return {k: fill(v) for k, v in cases.items()}


def list_forms(cases: dict) -> dict:
    """The cases of the other forms of each nested list case (``"Location.payers"``): its
    count (``payersCount``) and its connection (``payersConnection``, the first page)
    where the type has them, as ``prefetched_list``, ``related_count`` and
    ``prefetched_connection`` give them (``backend.graphql.relations``). The same rows,
    guarded alike: ``{"location": {"payers": [a]}}`` gives ``{"payersCount": 1}`` and
    ``{"payersConnection": {"totalCount": 1, "edges": [{"node": a}]}}``. A module's own
    case of that name replaces the derived one."""
    schema = get_schema()._schema
    derived = {}
    for name, (document, guards, answer) in cases.items():
        type_name, _, field = name.partition(".")
        fields = getattr(schema.get_type(type_name), "fields", None) or {}
        path = f"{next(iter(answer), '')}.{field}"
        if not field or not isinstance(_at(answer, path), list):
            continue
        rows = _at(answer, path)
        forms = {
            "Count": (f"{field}Count", len(rows)),
            "Connection": (
                f"{field}Connection {{ totalCount edges {{ node",
                {"totalCount": len(rows), "edges": [{"node": row} for row in rows]},
            ),
        }
        for suffix, (selection, value) in forms.items():
            if field + suffix not in fields:
                continue
            new_path = path + suffix
            # "payers { name }" -> "payersCount" / "payersConnection { ... node { name } } }"
            old = re.search(rf"\b{field} (\{{[^{{}}]*\}})", document)
            if old is None:
                continue
            tail = "" if suffix == "Count" else f" {old.group(1)} }} }}"
            new_document = document.replace(old.group(0), selection + tail)
            new_guards = {(new_path if p == path else p): g for p, g in guards.items()}
            derived[name + suffix] = (new_document, new_guards, _with(answer, path, suffix, value))
    return derived


def _at(answer: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(answer, dict) or key not in answer:
            return None
        answer = answer[key]
    return answer


def _with(answer: dict, path: str, suffix: str, value: Any) -> dict:
    """``answer`` with the field at ``path`` renamed ``<field><suffix>`` and set to ``value``."""
    head, _, rest = path.partition(".")
    if not rest:
        return {(k + suffix if k == head else k): v for k, v in answer.items()} | {
            head + suffix: value
        }
    return {**answer, head: _with(answer[head], rest, suffix, value)}


def module_permissions(label: str) -> list[str]:
    """Every Django permission of the module's models (``label.codename``)."""
    from django.contrib.auth.models import Permission

    models = list(apps.get_app_config(label).get_models())
    codenames = Permission.objects.filter(
        content_type__app_label=label, content_type__model__in=[m._meta.model_name for m in models]
    ).values_list("codename", flat=True)
    return sorted(f"{label}.{c}" for c in codenames)


def write_permissions(but: tuple[str, ...] = ()) -> list[str]:
    """Every permission of every active module's models but the view permissions and
    ``but`` (``label.codename``: add, change, delete and the models' own, such as
    ``location.manage_upper_levels``), from the models' options, without the database."""
    return [
        f"{module.label}.{codename}"
        for module in MODULES
        for model in apps.get_app_config(module.label).get_models()
        for codename in (
            *(f"{action}_{model._meta.model_name}" for action in model._meta.default_permissions),
            *(codename for codename, _ in model._meta.permissions),
        )
        if not codename.startswith("view_") and f"{module.label}.{codename}" not in but
    ]


def roles() -> dict[str, tuple[str, ...] | str | None]:
    """Anonymous, a viewer and an editor per module, the administrator.

    A viewer holds the module's view permissions; an editor every permission of the
    module and the view permissions of the modules it requires. Reads the permission
    table: call it inside a test with database access.
    """
    found: dict[str, tuple[str, ...] | str | None] = {"anonymous": None}
    for module in MODULES:
        own = module_permissions(module.label)
        found[f"{module.label} viewer"] = tuple(p for p in own if ".view_" in p)
        required = [p for r in module.requires for p in module_permissions(r) if ".view_" in p]
        found[f"{module.label} editor"] = (*own, *required)
    found["administrator"] = "superuser"
    return found


def role_names() -> list[str]:
    """The role names of :func:`roles`, without the database (for parametrizing)."""
    return [
        "anonymous",
        *(f"{m.label} {kind}" for m in MODULES for kind in ("viewer", "editor")),
        "administrator",
    ]


def digest() -> str:
    """A digest of every row of every active module's tables: equal, nothing written."""
    rows = [
        row
        for module in MODULES
        for model in apps.get_app_config(module.label).get_models()
        for row in model._default_manager.order_by("pk").values_list()
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()
