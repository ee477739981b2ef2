"""The rows of a legacy source, their refusals and the state one import run shares.

Every source (:mod:`backend.legacy.sources`) gives :class:`LegacyRow` objects whose values
are text (``None`` for SQL NULL), so that one mapping per table serves CSV, JSON and a
live database alike. A problem of one row is a :class:`Rejection`, never an exception.
"""

from __future__ import annotations

import string
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any


class Reason(str):
    """The text of a refusal built from a template and the row's values, which knows
    its :attr:`kind`: the template with each value shown as ``…`` (``'…'`` for a value
    formatted with ``!r``), so the summary of refusals groups by the message, with the
    constant parts of the template (a column name, a limit, an example format) intact.

    Build it with :meth:`of`; a plain ``str`` reason is grouped with its uuids, quoted
    text and numbers masked instead (:func:`backend.legacy.report.reason_kind`)."""

    kind: str | None = None

    @classmethod
    def of(cls, template: str, **values: object) -> Reason:
        """``template`` (``str.format`` syntax) with ``values``, the row's values only:
        ``Reason.of(f"{column} {{value!r}} is not a datetime like {example}",
        value=text)`` -> "ValidityFrom '01/01/2017' is not a datetime like
        2017-01-01T00:00:00.000", of kind "ValidityFrom '…' is not a datetime like
        2017-01-01T00:00:00.000"."""
        reason = cls(template.format(**values))
        reason.kind = _Blank().vformat(template, (), values)
        return reason


class _Blank(string.Formatter):
    """Formats a template with each value shown as ``…`` (``'…'`` for ``!r``)."""

    def convert_field(self, value: object, conversion: str | None) -> str:
        return "'…'" if conversion == "r" else "…"

    def format_field(self, value: object, format_spec: str) -> str:
        return str(value)


@dataclass(frozen=True)
class LegacyRow:
    """One record of a legacy source (a CSV or JSON file, or a table of a database).

    ``source``: the file name or the database's table; ``line``: where the record is,
    counted in ``unit`` (a CSV record's first line, the header being line 1; the 1-based
    position of a JSON object or a database row); ``key``: how to name the row in
    messages (``"LocationId 17"``); ``values``: legacy column name -> text, ``None`` for
    SQL NULL. Every source turns its values into this text form (see
    :func:`backend.legacy.values.legacy_text`), so that one mapping serves them all.
    ``problems``: ``(column, reason)`` of the values the source could not read (a JSON
    boolean, array or object where a number or a string belongs; its value is then
    ``None``); the row is refused with
    them and with the problems of its other columns
    (:class:`~backend.legacy.parsing.RowParser`).
    """

    source: str
    line: int
    key: str
    values: Mapping[str, str | None]
    unit: str = "line"
    problems: tuple[tuple[str, str], ...] = ()

    @property
    def position(self) -> str:
        """Where the row is, for messages: ``"line 5"`` (a CSV record), ``"row 5"`` (a
        JSON array's element or a database row)."""
        return f"{self.unit} {self.line}"

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
    written. A table fills its own entry during ``validate``. ``notes``: ``(model label,
    column, what)`` -> the ids of the rows read whose value the import would store
    otherwise than it came (:meth:`note`); the run's summary counts those of the rows
    stored. ``objects``: model label -> id -> the unsaved object of every well-formed row
    of that table's source (filled by :func:`~backend.legacy.parsing.parse_rows`), so a
    later table checks the rows it names as the source has them (a payer's location's
    level) before anything is written.
    """

    time_zone: tzinfo
    ids: dict[str, set[int]] = field(default_factory=dict)
    objects: dict[str, dict[int, Any]] = field(default_factory=dict)
    notes: defaultdict[tuple[str, str, str], set[int]] = field(
        default_factory=lambda: defaultdict(set)
    )

    def note(self, model: str, column: str, what: str, row_id: int) -> None:
        """Note that the value of ``column`` of the row ``row_id`` of the table of
        ``model`` (a Django label, as in :attr:`ids`) is stored otherwise than it came,
        ``what`` saying how ("surrounding white space removed")."""
        self.notes[(model, column, what)].add(row_id)


def row_key(id_column: str, row_id: str | None) -> str:
    """How messages name a row: ``"LocationId 17"``, or ``"no LocationId"`` when NULL."""
    return f"{id_column} {row_id}" if row_id is not None else f"no {id_column}"
