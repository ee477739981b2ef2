"""Typed values of legacy rows: :class:`RowParser` and :func:`parse_rows`.

A module's ``_parse(parser) -> instance`` reads each column with a getter of
:class:`RowParser`; every problem becomes a reason naming the column, and
:func:`parse_rows` turns the reasons into :class:`~backend.legacy.rows.Rejection`
objects. Length limits and codes come from the model (the field a column maps to in
the table's ``fields``), so a module states each limit once, on its model.

Input rules (openIMIS demo export, ``shared/data/openimis-demo/README.md``): ``None`` is
SQL NULL and ``""`` the SQL empty string, both kept; datetimes are naive legacy literals
such as ``2017-01-01T00:00:00.000``, read in the run's time zone; ids and other integers
are legacy ``int`` columns (SQL Server, 32 bits).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from django.apps import apps
from django.db import models

from backend.legacy.rows import LegacyContext, LegacyRow, Rejection

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # legacy ``int`` columns (SQL Server, 32 bits)

# ``2017-01-01T00:00:00.000``: seconds required, up to 7 fraction digits (SQL Server
# datetime2), no zone. Python keeps microseconds, so a 7th digit is dropped.
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,7})?")
_EXAMPLE = "2017-01-01T00:00:00.000"
_INTEGER = re.compile(r"[+-]?[0-9]+")


class RowParser:
    """Typed values of one :class:`LegacyRow`; each problem becomes a reason.

    Every getter returns the converted value, or ``None`` when the value is NULL or
    invalid; in the invalid (or missing but required) case it appends a reason naming
    the column to ``reasons``. ``fields``: legacy column -> the model field it is stored
    in (from :func:`parse_rows`), where :meth:`text` and :meth:`choice` find their
    limits when none is given.
    """

    def __init__(
        self,
        row: LegacyRow,
        context: LegacyContext,
        fields: Mapping[str, models.Field] | None = None,
    ) -> None:
        self.row = row
        self.time_zone = context.time_zone
        self.fields = fields or {}
        self.reasons: list[str] = []

    def _fail(self, reason: str) -> None:
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
                self._fail(f"{column} is missing")
            return None
        if not pattern.fullmatch(value):
            self._fail(f"{column} {value!r} is not {what}")
            return None
        return value

    def text(
        self, column: str, max_length: int | None = None, *, required: bool = False
    ) -> str | None:
        """The text as it is (``""`` stays ``""``); required means neither NULL nor blank.

        ``max_length`` defaults to the ``max_length`` of the model field of ``column``.
        """
        if max_length is None:
            max_length = self._field(column).max_length
        value = self.row.values[column]
        if value is None or (required and not value.strip()):
            if required:
                self._fail(f"{column} is missing" + (" (blank)" if value is not None else ""))
                return None
            return value
        if "\x00" in value:
            self._fail(f"{column} contains a NUL character")
        if max_length is not None and len(value) > max_length:
            self._fail(f"{column} is longer than {max_length} characters ({len(value)})")
        return value

    def choice(self, column: str, choices: Iterable[str] | None = None) -> str | None:
        """A required code, one of ``choices`` (default: the model field's choices)."""
        if choices is None:
            choices = [value for value, _label in self._field(column).flatchoices]
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
        value = self._matching(column, required, _INTEGER, "an integer")
        if value is None:
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
        NULL or empty: :func:`~backend.legacy.versions.check_versions` then gives the row
        one."""
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
        value = self._matching(column, required, _DATETIME, "a datetime like " + _EXAMPLE)
        if value is None:
            return None
        try:
            naive = datetime.fromisoformat(value[:26])  # at most 6 fraction digits
        except ValueError:
            self._fail(f"{column} {value!r} is not a valid date and time")
            return None
        return naive.replace(tzinfo=self.time_zone)


def model_fields(model: str, fields: Mapping[str, str]) -> dict[str, models.Field]:
    """Legacy column -> the field of ``model`` (a Django label) it is stored in.

    ``fields`` maps each column to a model attribute (``"ParentLocationId": "parent_id"``);
    raises ``FieldDoesNotExist`` for an attribute the model does not have.
    """
    meta = apps.get_model(model)._meta
    return {column: meta.get_field(attname) for column, attname in fields.items()}


def parse_rows(
    rows: Iterable[LegacyRow],
    context: LegacyContext,
    model: str,
    parse: Callable[[RowParser], models.Model],
    fields: Mapping[str, str] | None = None,
) -> tuple[list[tuple[LegacyRow, models.Model]], list[Rejection]]:
    """Run ``parse`` on every row: the well-formed ``(row, object)`` pairs and rejections.

    ``parse`` builds an unsaved instance of ``model`` (a Django label) from a
    :class:`RowParser` (reading the id into ``pk``). ``fields`` (legacy column -> model
    attribute, the table's ``fields``) lets the parser read text limits and codes from
    the model. A repeated id is rejected. Every id read (even of a rejected row) is
    added to ``context.ids[model]``.
    """
    column_fields = model_fields(model, fields) if fields else None
    ids = context.ids.setdefault(model, set())
    line_of_id: dict[int, int] = {}
    items, rejections = [], []
    for row in rows:
        parser = RowParser(row, context, column_fields)
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
