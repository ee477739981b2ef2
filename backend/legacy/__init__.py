"""The legacy import contract: how a module maps one legacy openIMIS table onto its model.

``manage.py import_legacy`` (``backend/management/commands/import_legacy.py``) looks in
every active module for a ``legacy`` submodule whose ``tables`` attribute lists
:class:`LegacyTable` objects, and runs them in module order. It reads every file and
validates every row first; only when no row of any file is rejected does it write, in one
transaction. A module never sees CSV: it gets :class:`LegacyRow` objects.

Input, as exported by a legacy openIMIS installation (rules from the openIMIS demo export,
``shared/data/openimis-demo/README.md``):

- a value is ``None`` for SQL NULL (an empty unquoted CSV field) and ``""`` for the SQL
  empty string (``""`` in the CSV); both are kept as they are;
- datetimes are naive legacy literals such as ``2017-01-01T00:00:00.000``, the legacy
  server's local time; they are read in ``settings.LEGACY_TIME_ZONE`` (default UTC);
- versions (openIMIS, DESIGN.md §5): a row with ValidityTo NULL is current; a history row
  has ValidityTo set and its LegacyId holds the id of the current row it is an old
  version of. Legacy ids are kept as primary keys so that references stay right.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, models

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # legacy ``int`` columns (SQL Server, 32 bits)

# ``2017-01-01T00:00:00.000``: seconds required, up to 7 fraction digits (SQL Server
# datetime2), no zone. Python keeps microseconds, so a 7th digit is dropped.
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,7})?")
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class LegacyRow:
    """One record of a legacy source (a CSV or JSON file, or a table of a database).

    ``source``: the file name or the database's table; ``line``: where the record is,
    counted in ``unit`` (a CSV record's first line, the header being line 1; the 1-based
    position of a JSON object or a database row); ``key``: how to name the row in
    messages (``"LocationId 17"``); ``values``: legacy column name -> text, ``None`` for
    SQL NULL. Every source turns its values into this text form (see
    :func:`legacy_text`), so that one mapping serves them all.
    """

    source: str
    line: int
    key: str
    values: Mapping[str, str | None]
    unit: str = "line"

    def reject(self, reason: str) -> Rejection:
        """A :class:`Rejection` of this row for ``reason``."""
        return Rejection(self.source, self.line, self.key, reason, self.unit, self)


@dataclass(frozen=True)
class Rejection:
    """Why a row is refused: source, position, row key and a reason a person can act on.

    ``row`` is the refused :class:`LegacyRow` (not part of equality).
    """

    source: str
    line: int
    key: str
    reason: str
    unit: str = "line"
    row: LegacyRow | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.source} {self.unit} {self.line} ({self.key}): {self.reason}"


@dataclass
class LegacyContext:
    """State shared by the tables of one import run.

    ``time_zone``: the zone of the legacy datetimes (``settings.LEGACY_TIME_ZONE``).
    ``ids``: model label -> every id found in that table's file in this run (rejected
    rows included), so a later table can check its references before anything is
    written. A table fills its own entry during ``validate``.
    """

    time_zone: tzinfo
    ids: dict[str, set[int]] = field(default_factory=dict)


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


Validate = Callable[
    [Iterable[LegacyRow], LegacyContext], tuple[list[models.Model], list[Rejection]]
]


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


@dataclass(frozen=True)
class LegacyTable:
    """How one legacy table is imported and exported; a module lists these in
    ``legacy.tables``.

    ``name``: legacy table name; the files are ``<name>.csv`` / ``<name>.json``
    (``"tblLocations"``).
    ``option``: command-line option of the file (``"locations"`` -> ``--locations``).
    ``model``: Django label of the target model (``"location.Location"``).
    ``id_column``: the legacy id column, kept as primary key (``"LocationId"``).
    ``fields``: legacy column -> model attribute (``"ParentLocationId": "parent_id"``),
    in the legacy column order; a CSV file must have exactly these columns (any order),
    and ``export_legacy`` writes them in this order.
    ``validate(rows, context) -> (objects, rejections)``: map every row to an unsaved
    model instance and list every rejected row; it must not write. ``rows`` is iterated
    once. The objects are loaded only when no table rejected anything (or, with
    ``--load-valid``, those that remain once rejected rows and their dependents are
    taken out).
    ``check() -> problems``: after every table is loaded, in the same transaction, the
    rules the table as a whole must keep (e.g. a current row's parent is current), as
    messages; any problem rolls the whole import back.
    ``load(objects) -> LoadCounts``: write them, inside the caller's transaction
    (default :func:`save_by_id`).
    """

    name: str
    option: str
    model: str
    id_column: str
    fields: Mapping[str, str]
    validate: Validate
    load: Callable[[Sequence[models.Model]], LoadCounts] = save_by_id
    check: Callable[[], list[str]] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The legacy column names, in legacy order."""
        return tuple(self.fields)

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def json_name(self) -> str:
        return f"{self.name}.json"


def legacy_text(value: Any, time_zone: tzinfo) -> str | None:
    """A value as a database driver or a JSON parser gives it -> the legacy text form.

    ``None`` stays ``None`` (SQL NULL); text stays as it is; ``int`` (and ``bool`` as
    ``1``/``0``, SQL Server's ``bit``), ``Decimal``, ``float`` and ``UUID`` become their
    usual text; a naive datetime becomes the legacy literal (:func:`legacy_literal`), an
    aware one is first converted into ``time_zone``. Raises ``TypeError`` for anything
    else (a nested JSON object, bytes).
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return legacy_literal(value, time_zone)
    if isinstance(value, date):
        return legacy_literal(datetime(value.year, value.month, value.day), time_zone)
    raise TypeError(f"a {type(value).__name__} is not a legacy column value")


def legacy_literal(value: datetime, time_zone: tzinfo) -> str:
    """A datetime as the legacy literal ``2017-01-01T00:00:00.000``, in ``time_zone``.

    An aware datetime is converted into ``time_zone`` (the legacy server's local time)
    first; a naive one is taken as already local. Milliseconds are written as three
    digits, or six when the value has finer microseconds (the import reads both).
    """
    if value.tzinfo is not None:
        value = value.astimezone(time_zone).replace(tzinfo=None)
    digits = 3 if value.microsecond % 1000 == 0 else 6
    return value.isoformat(timespec="milliseconds" if digits == 3 else "microseconds")


class RowParser:
    """Typed values of one :class:`LegacyRow`; each problem becomes a reason.

    Every getter returns the converted value, or ``None`` when the value is NULL or
    invalid; in the invalid (or missing but required) case it appends a reason naming
    the column to ``reasons``.
    """

    def __init__(self, row: LegacyRow, context: LegacyContext) -> None:
        self.row = row
        self.time_zone = context.time_zone
        self.reasons: list[str] = []

    def _fail(self, reason: str) -> None:
        self.reasons.append(reason)

    def text(self, column: str, max_length: int, *, required: bool = False) -> str | None:
        """The text as it is (``""`` stays ``""``); required means neither NULL nor blank."""
        value = self.row.values[column]
        if value is None or (required and not value.strip()):
            if required:
                self._fail(f"{column} is missing" + (" (blank)" if value is not None else ""))
                return None
            return value
        if "\x00" in value:
            self._fail(f"{column} contains a NUL character")
        if len(value) > max_length:
            self._fail(f"{column} is longer than {max_length} characters ({len(value)})")
        return value

    def choice(self, column: str, choices: Iterable[str]) -> str | None:
        """A required one-letter code, one of ``choices``."""
        choices = list(choices)
        value = self.row.values[column]
        if not value:
            self._fail(f"{column} is missing")
            return None
        if value not in choices:
            self._fail(f"{column} {value!r} is not one of {', '.join(choices)}")
            return None
        return value

    def integer(
        self,
        column: str,
        *,
        required: bool = False,
        minimum: int = INT_MIN,
        maximum: int = INT_MAX,
    ) -> int | None:
        """A decimal integer within ``minimum``..``maximum`` (legacy ``int`` by default)."""
        value = self.row.values[column]
        if value is None:
            if required:
                self._fail(f"{column} is missing")
            return None
        if not _INTEGER.fullmatch(value):
            self._fail(f"{column} {value!r} is not an integer")
            return None
        number = int(value)
        if not minimum <= number <= maximum:
            self._fail(f"{column} {number} is out of range ({minimum}..{maximum})")
            return None
        return number

    def id(self, column: str, *, required: bool = False) -> int | None:
        """A legacy id: a positive ``int``."""
        return self.integer(column, required=required, minimum=1)

    def uuid(self, column: str) -> uuid.UUID | None:
        """A UUID (any form :class:`uuid.UUID` reads, e.g. upper case), or ``None`` when
        NULL or empty: :func:`check_versions` then gives the row one."""
        value = self.row.values[column]
        if not value:
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            self._fail(f"{column} {value!r} is not a UUID")
            return None

    def datetime(self, column: str, *, required: bool = False) -> datetime | None:
        """A legacy datetime literal, read as local time of ``context.time_zone``.

        A wall time that does not exist or exists twice (daylight saving change) gets
        the offset in force before the change (``fold=0``).
        """
        value = self.row.values[column]
        if value is None:
            if required:
                self._fail(f"{column} is missing")
            return None
        if not _DATETIME.fullmatch(value):
            self._fail(f"{column} {value!r} is not a datetime like 2017-01-01T00:00:00.000")
            return None
        try:
            naive = datetime.fromisoformat(value[:26])  # at most 6 fraction digits
        except ValueError:
            self._fail(f"{column} {value!r} is not a valid date and time")
            return None
        return naive.replace(tzinfo=self.time_zone)


def parse_rows(
    rows: Iterable[LegacyRow],
    context: LegacyContext,
    model: str,
    parse: Callable[[RowParser], models.Model],
) -> tuple[list[tuple[LegacyRow, models.Model]], list[Rejection]]:
    """Run ``parse`` on every row: the well-formed ``(row, object)`` pairs and rejections.

    ``parse`` builds an unsaved instance from a :class:`RowParser` (reading the id into
    ``pk``). A repeated id is rejected. Every id read (even of a rejected row) is added
    to ``context.ids[model]``.
    """
    ids = context.ids.setdefault(model, set())
    line_of_id: dict[int, int] = {}
    items, rejections = [], []
    for row in rows:
        parser = RowParser(row, context)
        obj = parse(parser)
        if obj.pk in line_of_id:
            parser.reasons.append(f"duplicate id, first at line {line_of_id[obj.pk]}")
        elif obj.pk is not None:
            line_of_id[obj.pk] = row.line
            ids.add(obj.pk)
        if parser.reasons:
            rejections += [row.reject(reason) for reason in parser.reasons]
        else:
            items.append((row, obj))
    return items, rejections


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
    line_of_uuid: dict[uuid.UUID, int] = {}
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
        if obj.uuid in line_of_uuid:
            rejections.append(
                row.reject(
                    f"duplicate {uuid_column} {obj.uuid}, first at line {line_of_uuid[obj.uuid]}"
                )
            )
        else:
            line_of_uuid[obj.uuid] = row.line
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
