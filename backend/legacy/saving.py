"""Writing imported rows: by primary key, keeping the old values of a changed current row.

Rows keep their legacy ids as primary keys (so parents, payer locations and history
pointers keep pointing right); :func:`plan_changes` decides, once, what becomes of each row
whose id is already in the database (:func:`version_change`), :func:`save_by_id` creates,
updates or leaves each row by id as planned, and :func:`reset_sequences` moves the id
sequences past the imported ids afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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


def rows_by_id(model: type[models.Model], pks: Sequence[Any]) -> dict[Any, models.Model]:
    """The database rows of ``model`` whose ids are in ``pks``, by id (read 5,000 at a
    time, within the database's limit of query parameters)."""
    rows: dict[Any, models.Model] = {}
    for start in range(0, len(pks), 5000):
        rows.update(model._default_manager.in_bulk(pks[start : start + 5000]))
    return rows


@dataclass(frozen=True)
class Change:
    """What an import does with a row already in the database (:func:`version_change`).

    ``outcome``: ``"updated"`` or ``"unchanged"``, None when refused; ``closed_at``: the
    old values are first kept as a history copy ending then (None: no copy);
    ``valid_from``: the row's ``validity_from`` once updated; ``refusal``: why the row
    cannot be imported.
    """

    outcome: str | None
    closed_at: datetime | None = None
    valid_from: datetime | None = None
    refusal: str | None = None


#: Columns that say who made a version and since when, not what it holds.
_BOOKKEEPING = {"validity_from", "audit_user_id", "legacy_audit_user_id"}


def version_change(
    old: models.Model,
    new: models.Model,
    now: datetime,
    column_of: Mapping[str, str] | None = None,
) -> Change:
    """The one rule by which an import replaces the database row ``old`` by the source's
    ``new`` (same id), keeping every version of a row one after the other, none valid at
    no time, the latest one current.

    ``now``: the time of the import; ``column_of``: attribute -> legacy column, for
    messages. Rows equal in every field are unchanged; other models than versioned ones
    are simply updated. For versioned rows (openIMIS, DESIGN.md §5: an update keeps the
    old values as a history row ending when the new version starts):

    - ``new`` current, starting after ``old`` (the legacy side made a new version, or
      moved ValidityFrom forward): the old values end at ``new.validity_from``;
    - otherwise, ``old`` made here (no legacy AuditUserID: an update through the API,
      or a delete here): the legacy row is not later than the change here, so
      importing it would undo a newer change. The same data (a change here that the
      legacy side made as well; who and since when aside) is unchanged; other data is
      refused, naming the columns and the time of the change here;
    - ``old`` imported and ``new`` current, not starting later: the legacy side changed
      the row without moving ValidityFrom (an edit outside openIMIS), so the change
      happens at ``now``: the old values end then and the row is valid from then. Data
      equal to the row's (only ``validity_from`` differs: a version an earlier import
      started at its time) is unchanged. Refused when ``old`` starts at ``now`` or
      later (it would be valid at no time);
    - otherwise (a history row of the legacy side, or a current row the legacy side
      closed) the row is updated in place; a current row it closes keeps its later
      start, and is refused when it would end before it starts.

    Columns that are not editable are derived from the others and kept by the module
    (a location's ``path``: :func:`modules.location.models.rebuild_paths` after the
    load), so they are not compared for versioned models.
    """
    versioned = _is_versioned(type(old))
    fields = [
        f for f in old._meta.concrete_fields if not f.primary_key and (f.editable or not versioned)
    ]
    differs = {f.attname for f in fields if getattr(old, f.attname) != getattr(new, f.attname)}
    if not differs:
        return Change(UNCHANGED)
    if not versioned:
        return Change(UPDATED)
    names = column_of or {}

    def listed(attnames: set[str]) -> str:
        return ", ".join(sorted(names.get(a, a) for a in attnames))

    def at(moment: datetime) -> str:
        return f"{moment:%Y-%m-%d %H:%M}"

    current = old.validity_to is None and new.validity_to is None
    if current and new.validity_from > old.validity_from:
        return Change(UPDATED, closed_at=new.validity_from, valid_from=new.validity_from)
    data = differs - _BOOKKEEPING
    if old.legacy_audit_user_id is None:  # made here, and the legacy row is not later
        if not data:
            return Change(UNCHANGED)
        changed = old.validity_to or old.validity_from
        done = "deleted" if old.validity_to else "changed"
        return Change(
            None,
            refusal=f"{done} here on {at(changed)} (not by an import), and the legacy row "
            f"(ValidityFrom {at(new.validity_from)}) is not later: importing its "
            f"{listed(data)} would undo that change. Make the change on the legacy side "
            "(a later ValidityFrom), or here, or import without this row (--load-valid)",
        )
    if current:
        if differs == {"validity_from"}:
            return Change(UNCHANGED)
        if old.validity_from >= now:
            return Change(
                None,
                refusal=f"changed on the legacy side without a later ValidityFrom, so at "
                f"the time of this import ({at(now)}), but the version here starts at "
                f"{at(old.validity_from)}: it would be valid at no time",
            )
        return Change(UPDATED, closed_at=now, valid_from=now)
    start = new.validity_from
    if old.validity_to is None:  # closed on the legacy side: the version here ends
        start = max(start, old.validity_from)
        if new.validity_to <= start:
            return Change(
                None,
                refusal=f"closed on the legacy side at {at(new.validity_to)}, not after the "
                f"version here began ({at(start)})",
            )
    return Change(UPDATED, valid_from=start)


@dataclass(frozen=True)
class Plan:
    """What an import does with the objects of one table, decided once
    (:func:`plan_changes`): the decision the refusal check reads
    (:func:`backend.legacy.versions.check_changes`) is the one :func:`save_by_id` writes.

    ``ids``: the id of every object planned; ``existing``: id -> (the database row of that
    id as read, its :class:`Change`), for the ids already in the database (the others
    are created). A plan serves one write: :func:`save_by_id` turns the rows read into
    the history copies it inserts.
    """

    ids: frozenset[Any] = frozenset()
    existing: Mapping[Any, tuple[models.Model, Change]] = field(default_factory=dict)


def plan_changes(
    objects: Sequence[models.Model],
    now: datetime,
    column_of: Mapping[str, str] | None = None,
) -> Plan:
    """The :class:`Plan` of putting ``objects`` (all of one model, ids set, as they will
    be saved) in the database at ``now``, the time of the import: the database rows of
    their ids, read once (:func:`rows_by_id`), and the :func:`version_change` of each
    (``column_of``: attribute -> legacy column, for the refusals' messages). Reads,
    never writes.
    """
    if not objects:
        return Plan()
    existing = rows_by_id(type(objects[0]), [obj.pk for obj in objects])
    return Plan(
        ids=frozenset(obj.pk for obj in objects),
        existing={
            obj.pk: (old, version_change(old, obj, now, column_of))
            for obj in objects
            if (old := existing.get(obj.pk)) is not None
        },
    )


def save_by_id(objects: Sequence[models.Model], plan: Plan) -> LoadCounts:
    """Create or update ``objects`` (all of one model) by primary key as ``plan`` (of
    these objects, :func:`plan_changes`) decided; return the counts.

    An object whose id was not in the database is created (with that id); a row already
    there is replaced by the plan's :func:`version_change`, so a second import of the
    same source changes nothing. Objects are created in the given order, so list parents
    before children. Callers have taken out the objects whose change the plan refuses;
    such an object, or one the plan does not hold, raises ``ValueError`` before anything
    is written. The objects may differ from the planned ones in columns that are not
    editable only (derived, as a location's ``path``), which :func:`version_change`
    does not compare.

    History (openIMIS convention, DESIGN.md §5): when the change closes the old values,
    they are kept first as a new history row: a copy with a new id (above every id of
    the table) and a new uuid, ``validity_to`` = the time of the change and
    ``legacy_id`` = the current row's id. The current row keeps its id and uuid.
    """
    if not objects:
        return LoadCounts()
    model = type(objects[0])
    manager = model._default_manager
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    pks = [obj.pk for obj in objects]
    created, changed, copies, outcomes = [], [], [], {}
    for obj in objects:
        if obj.pk not in plan.ids:
            raise ValueError(f"id {obj.pk}: not in the plan of this write")
        if obj.pk not in plan.existing:
            created.append(obj)
            outcomes[obj.pk] = CREATED
            continue
        old, change = plan.existing[obj.pk]
        if change.refusal:
            raise ValueError(f"id {obj.pk}: {change.refusal}")
        outcomes[obj.pk] = change.outcome
        if change.outcome == UNCHANGED:
            continue
        changed.append(obj)
        if change.valid_from is not None:
            obj.validity_from = change.valid_from
        if change.closed_at is not None:
            old.validity_to = change.closed_at
            old.legacy_id = old.pk
            old.uuid = uuid.uuid4()
            copies.append(old)
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
