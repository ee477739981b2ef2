"""Legacy exports written back from the module models: the shape ``import_legacy`` reads.

Each :class:`backend.legacy.LegacyTable` names its columns and the model attribute of
each (``fields``); the writers here turn every row of the model, current and history
rows alike, ordered by id, into the legacy shape of the openIMIS demo export
(``shared/data/openimis-demo/README.md``):

- CSV: header row of legacy column names in legacy order, ``\\n`` line ends, strings
  always double-quoted (``""`` for the empty string), numbers bare, SQL NULL as an
  empty unquoted field, datetimes as quoted legacy literals ``2017-01-01T00:00:00.000``
  in ``settings.LEGACY_TIME_ZONE``;
- JSON: an array of row objects (one per line) with the same column names, ``null``
  for SQL NULL (as ``FOR JSON PATH, INCLUDE_NULL_VALUES`` or ``json_agg`` write it),
  numbers as numbers (decimals with their digits, ``12.50``), booleans (``bit``) as 0
  or 1, and dates (``1990-01-31``) and datetimes as legacy literal strings.

The output depends only on the stored rows, so exporting twice, or exporting what an
import of an export loaded, gives the same bytes.

Values are written as stored, also text beginning with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return, which a spreadsheet program opening the CSV file may run as a
formula (OWASP "CSV Injection"). The files are for ``import_legacy`` and the legacy
database, where a changed value (a quote put before ``+255…``) would be data lost on the
way back; :func:`export_table` counts such values instead, and the command warns, naming
the first (README "Export back": how to open the files in a spreadsheet safely).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db.models import IntegerField
from django.db.models.functions import Coalesce

from backend.legacy.tables import LegacyTable
from backend.legacy.values import legacy_literal
from backend.rights import readable


def legacy_values(table: LegacyTable, values: Sequence[Any], time_zone: tzinfo) -> list[Any]:
    """A stored row (its model values in ``table.fields`` order) in legacy form: ``None``,
    ``int``, ``Decimal`` or ``str`` values (uuids, datetimes and dates as their legacy
    text, ``1990-01-31``; a boolean as the ``bit`` 0 or 1)."""
    row = []
    for value in values:
        if isinstance(value, datetime):
            value = legacy_literal(value, time_zone)
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, bool):
            value = int(value)
        elif isinstance(value, uuid.UUID):
            value = str(value)
        row.append(value)
    return row


def csv_field(value: Any) -> str:
    """One CSV field: NULL empty, numbers bare, text quoted (quotes doubled)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | Decimal):
        return str(value)  # a decimal's digits as stored (12.50)
    return '"' + str(value).replace('"', '""') + '"'


def csv_lines(
    table: LegacyTable, rows: Iterable[Sequence[Any]], time_zone: tzinfo
) -> Iterator[str]:
    """The lines of ``table``'s CSV export of ``rows`` (header first), each ending ``\\n``."""
    yield ",".join(table.columns) + "\n"
    for values in rows:
        yield ",".join(csv_field(v) for v in legacy_values(table, values, time_zone)) + "\n"


def json_lines(
    table: LegacyTable, rows: Iterable[Sequence[Any]], time_zone: tzinfo
) -> Iterator[str]:
    """The text of ``table``'s JSON export of ``rows``: ``[``, one object per line, ``]``."""
    yield "["
    separator = "\n"
    for values in rows:
        row = zip(table.columns, legacy_values(table, values, time_zone), strict=True)
        yield separator + "{" + ", ".join(f"{_json(k)}: {_json(v)}" for k, v in row) + "}"
        separator = ",\n"
    yield "\n]\n"


def _json(value: Any) -> str:
    """``value`` as JSON text (as ``json.dumps``); a ``Decimal`` as the number it is,
    with its digits (``12.50``), never through a float."""
    return str(value) if isinstance(value, Decimal) else json.dumps(value, ensure_ascii=False)


#: What a column mapped to a versioned model's field exports instead of the field: the
#: legacy ``AuditUserID`` where the row has one (imported), else the id of the user who
#: made the version here (the legacy column is NOT NULL where a user is known).
EXPORTED_AS = {
    "legacy_audit_user_id": Coalesce(
        "legacy_audit_user_id", "audit_user_id", output_field=IntegerField()
    )
}


def stored_rows(
    table: LegacyTable, chunk_size: int = 2000, user: Any = None
) -> Iterator[tuple[Any, ...]]:
    """Every row of ``table``'s model, current and history, by id: the values of
    ``table.fields`` in order (:data:`EXPORTED_AS` replacing its fields). ``user``: only
    the rows that user may read (district rights, :func:`backend.rights.readable`); None:
    every row (an operator's export)."""
    model = apps.get_model(table.model)
    columns = [EXPORTED_AS.get(name, name) for name in table.fields.values()]
    rows = model._default_manager.order_by("pk")
    if user is not None:
        rows = readable(rows, user)
    return rows.values_list(*columns).iterator(chunk_size=chunk_size)


#: First characters that make a spreadsheet program read a cell as a formula (OWASP
#: "CSV Injection": =, +, -, @, tab, carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Exported:
    """What :func:`export_table` wrote: the file, its rows, and the text values that a
    spreadsheet may read as a formula (:data:`FORMULA_STARTS`; counted in CSV files
    only): how many, and the first as ``PayerID 1, Phone '+2552127867576'``."""

    path: Path
    rows: int = 0
    formula_like: int = 0
    first_formula_like: str | None = None


def export_table(
    table: LegacyTable, directory: Path, fmt: str, time_zone: tzinfo, user: Any = None
) -> Exported:
    """Write ``<directory>/<table.name>.<fmt>`` (``csv`` or ``json``), every value as
    stored; return what was written (:class:`Exported`). ``user``: as :func:`stored_rows`.
    The file is written to ``.<name>.partial`` beside it and renamed when complete, so
    that a failure (raised as it came) never leaves a truncated export, nor replaces an
    earlier one. Raises OSError when the file cannot be written."""
    path = directory / (table.file_name if fmt == "csv" else table.json_name)
    lines = csv_lines if fmt == "csv" else json_lines
    exported = Exported(path)
    id_index = list(table.fields).index(table.id_column)

    def counted() -> Iterator[tuple[Any, ...]]:
        for values in stored_rows(table, user=user):
            exported.rows += 1
            if fmt == "csv":
                for column, value in zip(table.columns, values, strict=True):
                    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                        exported.formula_like += 1
                        exported.first_formula_like = exported.first_formula_like or (
                            f"{table.id_column} {values[id_index]}, {column} {value!r}"
                        )
            yield values

    # written whole or not at all: a failure midway leaves no truncated export
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "w", encoding="utf-8", newline="") as out:
            out.writelines(lines(table, counted(), time_zone))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return exported
