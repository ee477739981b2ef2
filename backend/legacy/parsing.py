"""Typed values of legacy rows: :class:`RowParser` and :func:`parse_rows`.

A module's ``_parse(parser) -> instance`` reads each column with a getter of
:class:`RowParser`; every problem becomes a reason naming the column, and
:func:`parse_rows` turns the reasons into :class:`~backend.legacy.rows.Rejection`
objects. Length limits and codes come from the model (the field a column maps to in
the table's ``fields``), so a module states each limit once, on its model.

Input rules (openIMIS demo export, ``shared/data/openimis-demo/README.md``): ``None`` is
SQL NULL and ``""`` the SQL empty string, both kept; datetimes are naive legacy literals
such as ``2017-01-01T00:00:00.000``, read in the run's time zone; ids and other integers
are legacy ``int`` columns (SQL Server, 32 bits); dates, bits and decimals:
:mod:`backend.legacy.readings`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import models

from backend.legacy.readings import INT_MAX, INT_MIN, TypedReadings, reading
from backend.legacy.rows import LegacyContext, LegacyRow, Reason, Rejection

__all__ = ["INT_MAX", "INT_MIN", "SEVENTH_DIGIT", "TRIMMED", "RowParser", "parse_rows", "reading"]


# ``2017-01-01T00:00:00.000``: seconds required, up to 7 fraction digits (SQL Server
# datetime2), no zone. Python and both databases keep microseconds, so a 7th digit is
# dropped, and counted (:data:`SEVENTH_DIGIT`) unless it is 0.
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,7})?")
_EXAMPLE = "2017-01-01T00:00:00.000"
#: The note of a datetime whose 7th fractional digit (100 ns, SQL Server datetime2(7))
#: is not 0: it is dropped, as nothing downstream holds less than a microsecond.
SEVENTH_DIGIT = "a 7th fractional digit dropped (100 ns; microseconds are kept)"
#: The note of a text whose surrounding white space is removed (``trims`` of
#: :func:`parse_rows`).
TRIMMED = "surrounding white space removed"
_INTEGER = re.compile(r"[+-]?[0-9]+")


class RowParser(TypedReadings):
    """Typed values of one :class:`LegacyRow`; each problem becomes a reason.

    Every getter returns the converted value, or ``None`` when the value is NULL or invalid;
    in the invalid (or missing but required) case it appends a reason naming the column
    to ``reasons``, which starts with the problems the source found while reading the
    row (``row.problems``), so that a row reports every wrong column. ``fields``: legacy
    column -> the model field it is stored in (from :func:`parse_rows`), where
    :meth:`text` and :meth:`choice` find their limits when none is given. ``trims``:
    column -> how :meth:`text` stores its value (``str.strip``), applied before the
    length is checked. ``notes``: ``(column, what)`` of each value stored otherwise than
    it came (a trimmed text, a 7th fractional digit dropped), which :func:`parse_rows`
    counts in the run's notes when the row is kept.
    """

    def __init__(
        self,
        row: LegacyRow,
        context: LegacyContext,
        fields: Mapping[str, models.Field] | None = None,
        trims: Mapping[str, Callable[[str], str]] | None = None,
    ) -> None:
        self.row = row
        self.time_zone = context.time_zone
        self.fields = fields or {}
        self.trims = trims or {}
        self.notes: list[tuple[str, str]] = []
        # what the source found wrong while reading the row (a JSON array for a value)
        self.reasons: list[str] = [reason for _column, reason in row.problems]
        self._read_wrong = {column for column, _reason in row.problems}

    def _fail(self, column: str, reason: str) -> None:
        """Add ``reason``, unless the source found ``column`` wrong already (one reason
        per column; the other columns are still checked)."""
        if column not in self._read_wrong:
            self.reasons.append(reason)

    def _field(self, column: str) -> models.Field:
        try:
            return self.fields[column]
        except KeyError:
            raise LookupError(
                f"{column} is not a column of the table's fields; give its limit explicitly."
            ) from None

    def _matching(self, column: str, required: bool, pattern: re.Pattern, what: str) -> str | None:
        """The text of ``column`` when all of it matches ``pattern``; else ``None``, with
        the reason "is missing" (NULL but required) or "is not <what>"."""
        value = self.row.values[column]
        if value is None:
            if required:
                self._fail(column, Reason.of(f"{column} is missing"))
            return None
        if not pattern.fullmatch(value):
            self._fail(column, Reason.of(f"{column} {{value!r}} is not {what}", value=value))
            return None
        return value

    def text(
        self, column: str, max_length: int | None = None, *, required: bool = False
    ) -> str | None:
        """The text as it is stored (``""`` stays ``""``); required means neither NULL nor
        blank.

        A column of ``trims`` is stored by its rule (a change is noted, :data:`TRIMMED`),
        and the length checked is that of the value stored. ``max_length`` defaults to
        the ``max_length`` of the model field of ``column``.
        """
        if max_length is None:
            max_length = self._field(column).max_length
        value = self.row.values[column]
        if value is None or (required and not value.strip()):
            if required:
                blank = " (blank)" if value is not None else ""
                self._fail(column, Reason.of(f"{column} is missing{blank}"))
                return None
            return value
        rule = self.trims.get(column)
        trimmed = value if rule is None else rule(value)
        if trimmed != value:
            value = trimmed
            self.notes.append((column, TRIMMED))
        if "\x00" in value:
            self._fail(column, Reason.of(f"{column} contains a NUL character"))
        if max_length is not None and len(value) > max_length:
            self._fail(
                column,
                Reason.of(
                    f"{column} is longer than {max_length} characters ({{length}})",
                    length=len(value),
                ),
            )
        return value

    def choice(self, column: str, choices: Iterable[str] | None = None) -> str | None:
        """A required code, one of ``choices`` (default: the model field's choices)."""
        if choices is None:
            choices = [value for value, _label in self._field(column).flatchoices]
        choices = list(choices)
        value = self.row.values[column]
        if not value:
            self._fail(column, Reason.of(f"{column} is missing"))
            return None
        if value not in choices:
            allowed = ", ".join(choices)
            self._fail(
                column, Reason.of(f"{column} {{value!r}} is not one of {allowed}", value=value)
            )
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
        value = self._matching(column, required, _INTEGER, "an integer")
        if value is None:
            return None
        number = int(value)
        if not minimum <= number <= maximum:
            self._fail(
                column,
                Reason.of(
                    f"{column} {{number}} is out of range ({minimum}..{maximum})", number=number
                ),
            )
            return None
        return number

    def id(self, column: str, *, required: bool = False) -> int | None:
        """A legacy id: a positive ``int``."""
        return self.integer(column, required=required, minimum=1)

    def uuid(self, column: str) -> uuid.UUID | None:
        """A UUID (any form :class:`uuid.UUID` reads, e.g. upper case), or ``None`` when
        NULL or empty: :func:`~backend.legacy.versions.check_versions` then gives the row
        one."""
        value = self.row.values[column]
        return self._converted(column, value, uuid.UUID, "a UUID") if value else None

    def datetime(self, column: str, *, required: bool = False) -> datetime | None:
        """A legacy datetime literal, read as local time of ``context.time_zone``.

        A wall time that does not exist or exists twice (daylight saving change) gets
        the offset in force before the change (``fold=0``). A 7th fractional digit (SQL
        Server datetime2(7)) other than 0 is dropped and noted (:data:`SEVENTH_DIGIT`);
        the row as it came stays in the report.
        """
        value = self._matching(column, required, _DATETIME, "a datetime like " + _EXAMPLE)
        if value is None:
            return None
        try:
            naive = datetime.fromisoformat(value[:26])  # at most 6 fraction digits
        except ValueError:
            self._fail(
                column, Reason.of(f"{column} {{value!r}} is not a valid date and time", value=value)
            )
            return None
        if len(value) == 27 and value[26] != "0":  # 19 + "." + 7 digits
            self.notes.append((column, SEVENTH_DIGIT))
        return naive.replace(tzinfo=self.time_zone)

    def value(self, column: str) -> Any:
        """``column`` read as the model field it is stored in (see :func:`reading`)."""
        name, options = reading(self._field(column))
        return getattr(self, name)(column, **options)


def parse_rows(
    rows: Iterable[LegacyRow],
    context: LegacyContext,
    model: str,
    parse: Callable[[RowParser], models.Model] | None = None,
    fields: Mapping[str, str] | None = None,
    trims: Mapping[str, Callable[[str], str]] | None = None,
) -> tuple[list[tuple[LegacyRow, models.Model]], list[Rejection]]:
    """Build an unsaved instance of ``model`` (a Django label) from every row: the
    well-formed ``(row, object)`` pairs and the rejections.

    ``fields`` (legacy column -> model attribute, the table's ``fields``) lets the
    parser read types, limits and codes from the model. ``parse`` builds the instance
    from a :class:`RowParser` (reading the id into ``pk``); without it every column of
    ``fields`` is read with :meth:`RowParser.value`, in column order. A repeated id is
    rejected. Every id read (even of a rejected row) is added to ``context.ids[model]``,
    every well-formed object to ``context.objects[model]``.
    ``trims``: legacy column -> how its text is stored (``str.strip``, as the module's
    writes store it), before its length is checked (:meth:`RowParser.text`). The values
    of a kept row stored otherwise than they came go to the run's notes under its id
    (:meth:`~backend.legacy.rows.LegacyContext.note`). Raises ValueError when neither
    ``parse`` nor ``fields`` is given.
    """
    if parse is None and not fields:
        raise ValueError("parse_rows needs parse or the table's fields.")
    model_class = apps.get_model(model)
    meta = model_class._meta  # get_field raises FieldDoesNotExist for an unknown attribute
    column_fields = {column: meta.get_field(attname) for column, attname in (fields or {}).items()}
    if parse is None:
        readings = [
            (f.attname, getattr(RowParser, name), column, options)
            for column, f in column_fields.items()
            for name, options in [reading(f)]
        ]

        def parse(parser: RowParser) -> models.Model:
            return model_class(
                **{
                    attname: read(parser, column, **options)
                    for attname, read, column, options in readings
                }
            )

    ids = context.ids.setdefault(model, set())
    objects = context.objects.setdefault(model, {})
    place_of_id: dict[int, str] = {}
    items, rejections = [], []
    for row in rows:
        parser = RowParser(row, context, column_fields, trims)
        obj = parse(parser)
        if obj.pk in place_of_id:
            parser.reasons.append(f"duplicate id, first at {place_of_id[obj.pk]}")
        elif obj.pk is not None:
            place_of_id[obj.pk] = row.position
            ids.add(obj.pk)
        if parser.reasons:
            rejections += [row.reject(reason) for reason in parser.reasons]
        else:
            items.append((row, obj))
            objects[obj.pk] = obj
            for column, what in parser.notes:
                context.note(model, column, what, obj.pk)
    return items, rejections
