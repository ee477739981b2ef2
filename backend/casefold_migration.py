"""A migration step for SQLite databases made before the Unicode case rule
(:mod:`backend.casefold`): their unique indexes on ``UPPER(...)`` were built with SQLite's
ASCII-only ``UPPER``; :func:`refold_unique_index` builds one again with the project's
``UNICODE_UPPER``, after checking that the rows already obey the rule.

PostgreSQL's ``upper()`` already follows the rule: there the step does nothing.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.management.base import CommandError
from django.db import migrations
from django.db.models import F, Q


def refold_unique_index(model_label: str, constraint_name: str) -> migrations.RunPython:
    """A ``RunPython`` step: on SQLite, drop and create again the index of the unique
    constraint ``constraint_name`` of the model ``model_label`` ("location.Location", as
    the migration's state has it), so that it folds case as :mod:`backend.casefold`.

    When rows the constraint covers (its condition) are equal under the rule, the step
    raises ``CommandError`` naming each group (its fields' values and ids) and changes
    nothing (``migrate`` prints the message, and the migration's transaction rolls
    back). Elsewhere, and when reversed, it does nothing (the index stays Unicode).
    """

    def rebuild(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "sqlite":
            return
        model = apps.get_model(model_label)
        (constraint,) = [c for c in model._meta.constraints if c.name == constraint_name]
        using = schema_editor.connection.alias
        if groups := equal_rows(model, constraint, using):
            raise CommandError(refusal(model_label, constraint_name, groups))
        schema_editor.remove_constraint(model, constraint)
        schema_editor.add_constraint(model, constraint)

    return migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=False)


def equal_rows(model, constraint, using: str) -> list[list[dict]]:
    """The groups (two rows or more, each row a dict of ``id`` and the constraint's
    fields) that the unique ``constraint``'s expressions make equal among the rows of
    ``model`` its condition covers, in the order of their first id; [] when none."""
    fields = constraint_fields(constraint)
    keys = {f"_key{i}": expression for i, expression in enumerate(constraint.expressions)}
    keys |= {f"_key_{name}": F(name) for name in constraint.fields}
    rows = (
        model._base_manager.using(using)
        .filter(constraint.condition or Q())
        .annotate(**keys)
        .order_by("pk")
        .values("pk", *fields, *keys)
    )
    grouped: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[tuple(row[k] for k in keys)].append(
            {"id": row["pk"], **{name: row[name] for name in fields}}
        )
    return [group for group in grouped.values() if len(group) > 1]


def constraint_fields(constraint) -> list[str]:
    """The names of the fields a unique constraint covers: its ``fields`` and those
    its expressions read (``Upper("code")``: code), in order, each once."""
    names = list(constraint.fields)
    for expression in constraint.expressions:
        for node in expression.flatten():
            if isinstance(node, F) and node.name not in names:
                names.append(node.name)
    return names


def refusal(model_label: str, constraint_name: str, groups: list[list[dict]]) -> str:
    """The message of :func:`refold_unique_index`'s refusal, one line per group:
    ``code 'éa1' (id 3), code 'ÉA1' (id 7)``."""
    lines = [
        ", ".join(
            " ".join(f"{k} {v!r}" for k, v in row.items() if k != "id") + f" (id {row['id']})"
            for row in group
        )
        for group in groups
    ]
    return (
        f"{model_label}: {len(groups)} group(s) of rows are equal ignoring case "
        f"(Unicode, as on PostgreSQL), which the unique constraint {constraint_name} "
        "refuses:\n  " + "\n  ".join(lines) + "\nChange or end all but one row of each "
        "group, then migrate again. Nothing was changed."
    )
