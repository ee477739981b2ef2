"""Writing imported rows: by primary key, keeping the old values of a changed current row.

Rows keep their legacy ids as primary keys (so parents, payer locations and history
pointers keep pointing right); :func:`save_by_id` creates, updates or leaves each row by
id, and :func:`reset_sequences` moves the id sequences past the imported ids afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models

#: Per-row outcomes of a load, by id (see :class:`LoadCounts`).
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass(frozen=True)
class LoadCounts:
    """What ``load`` did: rows created, updated, already as in the source, and history
    rows added to keep the old values of updated current rows. ``outcomes``: id of each
    loaded object -> ``"created"``, ``"updated"`` or ``"unchanged"``.
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    history: int = 0
    outcomes: Mapping[int, str] = field(default_factory=dict, compare=False, repr=False)


def bulk_insert(objects: Sequence[models.Model]) -> None:
    """Insert ``objects`` (all of one model, ids set) in the given order.

    PostgreSQL gets one ``COPY ... FROM STDIN`` (the fastest way in); other databases
    one prepared ``INSERT`` run with ``executemany`` (much faster than ``bulk_create``
    on SQLite, whose variable limit cuts a batch to a few dozen rows).
    """
    if not objects:
        return
    model = type(objects[0])
    fields = model._meta.concrete_fields
    db = connections[DEFAULT_DB_ALIAS]  # the real connection, not the per-call proxy
    quote = db.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    prepared = [(f.attname, f.get_db_prep_save) for f in fields]

    def values(obj: models.Model) -> list[Any]:
        return [prep(getattr(obj, attname), db) for attname, prep in prepared]

    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for obj in objects:
                    copy.write_row(values(obj))
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})", [values(o) for o in objects]
            )


def _is_versioned(model: type[models.Model]) -> bool:
    names = {f.attname for f in model._meta.concrete_fields}
    return {"uuid", "validity_from", "validity_to", "legacy_id"} <= names


def save_by_id(objects: Sequence[models.Model]) -> LoadCounts:
    """Create or update ``objects`` (all of one model) by primary key; return the counts.

    An object whose id is not in the database is created (with that id); one whose row
    differs in any field is updated; the others are left alone, so a second import of
    the same source changes nothing. Objects are created in the given order, so list
    parents before children. Callers have checked that an existing id has the same uuid.

    History (openIMIS convention, DESIGN.md §5): when a *current* row of the database
    is updated by a row that is still current, its old values are kept first as a new
    history row: a copy with a new id (above every id of the table) and a new uuid,
    ``validity_to`` = the time of the change and ``legacy_id`` = the current row's id.
    The current row keeps its id and uuid. The time of the change is the new row's
    ``validity_from``; when the legacy side did not move it forward (an edit outside
    openIMIS), the history row is valid at no instant (``validity_to`` =
    ``validity_from``) rather than overlapping the current version.
    History rows that change, and current rows that become history (a legacy delete),
    are updated in place.
    """
    if not objects:
        return LoadCounts()
    model = type(objects[0])
    manager = model._default_manager
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    existing = {}
    pks = [obj.pk for obj in objects]
    for start in range(0, len(pks), 5000):
        existing.update(manager.in_bulk(pks[start : start + 5000]))
    versioned = _is_versioned(model)
    created, changed, copies, outcomes = [], [], [], {}
    for obj in objects:
        old = existing.get(obj.pk)
        if old is None:
            created.append(obj)
            outcomes[obj.pk] = CREATED
        elif any(getattr(old, f.attname) != getattr(obj, f.attname) for f in fields):
            changed.append(obj)
            outcomes[obj.pk] = UPDATED
            if versioned and old.validity_to is None and obj.validity_to is None:
                # The version ends where the new one starts. When the legacy side changed
                # the row without moving ValidityFrom (an edit outside openIMIS), when is
                # unknown: the old values are kept, valid at no instant, so that a date
                # never shows two versions of one row.
                old.validity_to = obj.validity_from
                old.legacy_id = old.pk
                old.uuid = uuid.uuid4()
                copies.append(old)
        else:
            outcomes[obj.pk] = UNCHANGED
    bulk_insert(created)
    manager.bulk_update(changed, [f.name for f in fields], batch_size=500)
    if copies:
        top = max(manager.aggregate(top=models.Max("pk"))["top"] or 0, *pks)
        for number, copy in enumerate(copies, start=1):
            copy.pk = top + number
        bulk_insert(copies)
    return LoadCounts(
        created=len(created),
        updated=len(changed),
        unchanged=len(objects) - len(created) - len(changed),
        history=len(copies),
        outcomes=outcomes,
    )


def reset_sequences(model_classes: Sequence[type[models.Model]]) -> None:
    """Move the id sequences of ``model_classes`` to their highest id (PostgreSQL; a
    no-op on SQLite).

    Done for every imported table, even when nothing was created, so a rerun also
    repairs a sequence left behind by an earlier load.
    """
    statements = connection.ops.sequence_reset_sql(no_style(), model_classes)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
