"""One import run: validate every table, then load all or nothing, in one transaction.

``manage.py import_legacy`` reads the sources (:func:`backend.legacy.sources.read_sources`),
runs :func:`import_runs` and writes the report (:mod:`backend.legacy.report`). Every row
of every table is validated first; only when no row of any table is refused is anything
written (or, with ``load_valid``, the valid rows once the refused rows and those that
depend on them are taken out). After loading, each table's ``check`` runs in the same
transaction; any problem rolls the whole import back.
"""

from __future__ import annotations

import contextlib
import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import tzinfo

from django.apps import apps
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from backend.legacy.rows import LegacyContext, LegacyRow
from backend.legacy.saving import plan_changes, reset_sequences
from backend.legacy.sources import TableRun
from backend.legacy.versions import check_changes

#: ``progress(rows, table name)`` may wrap the rows of a table being validated (a bar).
Progress = Callable[[list[LegacyRow], str], Iterable[LegacyRow]]
#: ``step(message)`` is told when a step without rows to count begins ("tblLocations:
#: writing 40,211 rows"), for the progress lines of a log.
Step = Callable[[str], object]


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Run the block with Python's automatic cyclic garbage collection off; it is on
    again afterwards (also after Ctrl-C or an error) if it was on before.

    An import keeps every row it reads alive to the end (the rows, their values, the
    model objects, the report records: several objects per row). Each full collection
    walks all of them, and CPython runs one whenever the objects added since the last
    one reach a quarter of those it holds, so a third of an import's CPU time went to
    collections that freed nothing (measured with ``gc.callbacks`` at 17,684 and
    221,050 rows). Memory is freed by reference counting as before; the import itself
    leaves a few hundred reference cycles per 100,000 rows, which the next automatic
    collection frees.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_runs(
    runs: list[TableRun],
    time_zone: tzinfo,
    *,
    load_valid: bool = False,
    progress: Progress | None = None,
    step: Step | None = None,
) -> bool:
    """Validate and load ``runs`` (in order, as read); return whether any row is refused.

    ``time_zone``: the zone of the legacy datetimes
    (:func:`~backend.legacy.values.legacy_time_zone`).

    Fills each run's ``objects`` and ``rejections`` and, when loaded, ``counts`` and
    ``notes`` (the values of the rows stored that are stored otherwise than they came:
    :meth:`~backend.legacy.rows.LegacyContext.note`; empty when nothing is written). Besides
    each table's ``validate``, a row that would replace its database row against the
    version rules is refused (:func:`~backend.legacy.versions.check_changes`: a legacy
    row older than a change made here). What becomes of the rows already in the database
    is decided once per table, at one time for the whole run, before anything is
    written (``plan``, :func:`~backend.legacy.saving.plan_changes`): the refusals are
    read from that decision, and the write carries it out. The ids
    of rows the source refused as read (a CSV row with a wrong number of fields, a JSON
    element that is not an object) count as rows of the file, so that a row naming one
    is refused by :func:`refuse_dependents` ("depends on ParentLocationId 1, which is
    refused"), in both modes, rather than told that it names no row. Without
    ``load_valid`` nothing is written when a row is refused; with it the valid rows are
    loaded. The id sequences are reset afterwards
    (:func:`~backend.legacy.saving.reset_sequences`). ``progress`` wraps each table's
    rows while they are validated; ``step`` is told when each table's writing and the
    final checks begin. Raises CommandError, having
    written nothing, when a table's ``check`` finds the loaded tables inconsistent.
    """
    context = LegacyContext(time_zone=time_zone)
    for item in runs:  # rows refused as read (a wrong number of fields) are in the file
        read_ids = {item.table.row_id(r.row) for r in item.rejections if r.row is not None}
        context.ids.setdefault(item.table.model, set()).update(read_ids - {None})
    with transaction.atomic():
        now = timezone.now()  # the time of this import, of every table's changes
        for item in runs:
            table = item.table
            rows = progress(item.rows, table.name) if progress else item.rows
            objects, bad = table.validate(rows, context)
            item.plan = plan_changes(objects, now, table.column_of)
            bad += check_changes(item.plan, item.rows, table.row_id)
            item.objects, item.rejections = objects, item.rejections + bad
        refused = any(item.rejections for item in runs)
        if refused:  # the same reasons whether the valid rows are loaded or not
            refuse_dependents(runs)
        if not refused or load_valid:
            for item in runs:
                if step:
                    step(f"{item.table.name}: writing {len(item.objects):,} rows")
                item.counts = item.table.load(item.objects, item.plan)
            if step:
                step("checking the tables as loaded")
            broken = [
                f"{item.table.name}: {problem}"
                for item in runs
                if item.table.check
                for problem in item.table.check()
            ]
            if broken:  # raising inside the transaction rolls every table back
                raise CommandError(
                    "The import would leave the database inconsistent; nothing was "
                    "written:\n  " + "\n  ".join(broken)
                )
            reset_sequences([apps.get_model(item.table.model) for item in runs])
            for item in runs:  # the values stored otherwise, of the rows stored only
                stored = {obj.pk for obj in item.objects}
                item.notes = {
                    (column, what): len(ids & stored)
                    for (model, column, what), ids in context.notes.items()
                    if model == item.table.model and ids & stored
                }
    return refused


def refuse_dependents(runs: list[TableRun]) -> None:
    """Take out of ``runs`` every object that depends on a refused row, and refuse it.

    A row depends on the rows its foreign keys name (a location's parent, a payer's
    location) and, for a history row, on its current row (``legacy_id``). Repeated until
    nothing changes, so a refused region takes its districts, their municipalities and
    villages, and their payers with it. Ids of objects still loaded are never counted
    as refused (a refused duplicate of a valid id leaves the valid row alone).
    """
    refused: dict[str, set[int]] = defaultdict(set)
    row_of: dict[str, dict[int | None, LegacyRow]] = {}
    for item in runs:
        rows = row_of[item.table.model] = {}
        for row in item.rows:
            rows.setdefault(item.table.row_id(row), row)
        # ``validate`` returns the objects of every well-formed row, also of rows that a
        # later check refused (a parent that does not exist): take those out first.
        places = {(r.source, r.line) for r in item.rejections}
        kept = []
        for obj in item.objects:
            row = rows[obj.pk]
            if (row.source, row.line) in places:
                refused[item.table.model].add(obj.pk)
            else:
                kept.append(obj)
        item.objects = kept
        loaded = {obj.pk for obj in kept}
        for rejection in item.rejections:
            row_id = item.table.row_id(rejection.row) if rejection.row else None
            if row_id is not None and row_id not in loaded:
                refused[item.table.model].add(row_id)
    changed = True
    while changed:
        changed = False
        for item in runs:
            model = apps.get_model(item.table.model)
            column_of = item.table.column_of
            # Parents, payer locations and history pointers (``legacy``) are relations.
            references = [
                (f.attname, f.related_model._meta.label)
                for f in model._meta.concrete_fields
                if f.is_relation
            ]
            rows = row_of[item.table.model]
            keep = []
            for obj in item.objects:
                reasons = [
                    f"depends on {column_of.get(attname, attname)} {getattr(obj, attname)}, "
                    "which is refused"
                    for attname, target in references
                    if getattr(obj, attname) in refused[target]
                ]
                if reasons:
                    item.rejections += [rows[obj.pk].reject(reason) for reason in reasons]
                    refused[item.table.model].add(obj.pk)
                    changed = True
                else:
                    keep.append(obj)
            item.objects = keep
