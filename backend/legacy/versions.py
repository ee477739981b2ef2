"""The identity and history rules every versioned openIMIS table follows, on import.

Versions (openIMIS, DESIGN.md §5): a row with ValidityTo NULL is current; a history row
has ValidityTo set and its LegacyId holds the id of the current row it is an old
version of. Legacy ids are kept as primary keys and uuids as ``uuid``, so that
references stay right and a second import of the same source changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence

from django.apps import apps
from django.db import models

from backend.legacy.parsing import parse_rows
from backend.legacy.rows import LegacyContext, LegacyRow, Rejection
from backend.legacy.saving import Plan


def check_versions(
    items: Sequence[tuple[LegacyRow, models.Model]],
    context: LegacyContext,
    model: str,
    *,
    uuid_column: str,
    legacy_column: str,
) -> list[Rejection]:
    """The identity and history rules every openIMIS versioned table follows.

    ``items``: well-formed rows with their objects (fields ``pk``, ``uuid``,
    ``validity_to``, ``legacy_id``; ids unique). A row without a uuid gets one: the uuid
    its id already has in the database (so a rerun changes nothing), else a new random
    one (distinct from every other). Rejects a duplicate uuid in the file, an id
    already used in the database by a row with another uuid (and a uuid used by another
    id), a history row whose LegacyId names no current row of the file or of the
    database (rows of the file replace database rows of the same id), and a row valid
    at no time (ValidityFrom after ValidityTo).
    """
    table = apps.get_model(model)
    db_uuid, db_current = {}, set()
    for pk, row_uuid, validity_to in table._default_manager.values_list(
        "pk", "uuid", "validity_to"
    ):
        db_uuid[pk] = row_uuid
        if validity_to is None:
            db_current.add(pk)
    db_pk_of_uuid = {row_uuid: pk for pk, row_uuid in db_uuid.items()}
    file_ids = context.ids.get(model, set())

    rejections: list[Rejection] = []
    place_of_uuid: dict[uuid.UUID, str] = {}
    current = {pk for pk in db_current if pk not in file_ids}
    history = set()
    for _row, obj in items:
        if obj.uuid is None:
            obj.uuid = db_uuid.get(obj.pk) or uuid.uuid4()
    for row, obj in items:
        (current if obj.validity_to is None else history).add(obj.pk)
        if obj.validity_to is not None and obj.validity_from > obj.validity_to:
            rejections.append(
                row.reject(
                    f"ValidityFrom {obj.validity_from:%Y-%m-%d %H:%M} is after ValidityTo "
                    f"{obj.validity_to:%Y-%m-%d %H:%M}: the version is valid at no time"
                )
            )
        if obj.uuid in place_of_uuid:
            rejections.append(
                row.reject(
                    f"duplicate {uuid_column} {obj.uuid}, first at {place_of_uuid[obj.uuid]}"
                )
            )
        else:
            place_of_uuid[obj.uuid] = row.position
        if obj.pk in db_uuid and db_uuid[obj.pk] != obj.uuid:
            rejections.append(
                row.reject(
                    f"id {obj.pk} is already used in the database by a row with "
                    f"{uuid_column} {db_uuid[obj.pk]}"
                )
            )
        other = db_pk_of_uuid.get(obj.uuid)
        if other is not None and other != obj.pk:
            rejections.append(
                row.reject(
                    f"{uuid_column} {obj.uuid} is already used in the database by id {other}"
                )
            )

    well_formed = {obj.pk for _row, obj in items}
    for row, obj in items:
        target = obj.legacy_id
        if obj.validity_to is None:
            continue
        if target is None:
            rejections.append(row.reject(f"history row (ValidityTo set) has no {legacy_column}"))
        elif target in current or (target in file_ids and target not in well_formed):
            continue  # fine, or its own row is rejected already
        elif target in history or target in db_uuid:
            rejections.append(row.reject(f"{legacy_column} {target} names a history row"))
        else:
            rejections.append(row.reject(f"{legacy_column} {target} names no current row"))
    return rejections


def parse_versioned(
    rows: Iterable[LegacyRow],
    context: LegacyContext,
    model: str,
    fields: Mapping[str, str],
    trims: Mapping[str, Callable[[str], str]] | None = None,
) -> tuple[list[tuple[LegacyRow, models.Model]], list[Rejection]]:
    """The rows of a versioned table read by their model fields and checked by
    :func:`check_versions`: the well-formed ``(row, object)`` pairs and every rejection.

    ``model``: Django label; ``fields``: the table's legacy column -> model attribute, in
    which the columns mapped to ``uuid`` and ``legacy_id`` name the uuid and LegacyId
    columns in messages. Each column is read as its model field
    (:func:`backend.legacy.parsing.reading`); ``trims`` (column -> how its text is
    stored) as in :func:`~backend.legacy.parsing.parse_rows`.
    """
    column_of = {attname: column for column, attname in fields.items()}
    items, rejections = parse_rows(rows, context, model, fields=fields, trims=trims)
    rejections += check_versions(
        items,
        context,
        model,
        uuid_column=column_of["uuid"],
        legacy_column=column_of["legacy_id"],
    )
    return items, rejections


def check_changes(
    plan: Plan, rows: Iterable[LegacyRow], row_id: Callable[[LegacyRow], int | None]
) -> list[Rejection]:
    """The rows whose change ``plan`` refuses (:func:`~backend.legacy.saving.plan_changes`:
    a legacy row older than a change made here, a version that would be valid at no
    time), as one rejection each, with the plan's reason.

    ``rows``: the table's rows, named through ``row_id``. Reads neither the database nor
    the clock: the plan holds the rows read and the decision the write carries out.
    """
    row_of: dict[int | None, LegacyRow] = {}
    for row in rows:
        row_of.setdefault(row_id(row), row)
    return [
        row_of[pk].reject(change.refusal)
        for pk, (_old, change) in plan.existing.items()
        if change.refusal and pk in row_of
    ]
