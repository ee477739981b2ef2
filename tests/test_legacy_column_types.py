"""Legacy date, bit and decimal columns (tblInsuree's DOB, a flag, an amount): read from
CSV and JSON text, written back by ``export_legacy`` in the form they came, exactly; an
export is written whole or not at all."""

from __future__ import annotations

import json
from datetime import UTC, date
from decimal import Decimal

import pytest
from django.db import models

from backend.legacy import LegacyContext, LegacyRow, LegacyTable, export
from backend.legacy.files import read_json
from backend.legacy.parsing import RowParser, reading


def _field(kind: type[models.Field], **options) -> models.Field:
    made = kind(**options)
    made.name = "dob"
    return made


def _no_rows(rows, context):
    return [], []


#: A table over the user model, whose is_active is a BooleanField.
USERS = LegacyTable(
    name="tblUsers",
    option="users",
    model="auth.User",
    fields={"UserID": "id", "IsActive": "is_active"},
    validate=_no_rows,
)


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        (_field(models.DateField), ("date", {"required": True})),
        (_field(models.DateField, null=True), ("date", {"required": False})),
        (_field(models.BooleanField), ("boolean", {"required": True})),
        (
            _field(models.DecimalField, max_digits=18, decimal_places=2, null=True),
            ("decimal", {"required": False, "max_digits": 18, "decimal_places": 2}),
        ),
    ],
)
def test_date_boolean_and_decimal_fields_have_a_reading(made, expected):
    assert reading(made) == expected


def _read(getter: str, text: str | None, **options):
    row = LegacyRow("tblInsuree.csv", 2, "InsureeID 1", {"C": text})
    parser = RowParser(row, LegacyContext(time_zone=UTC))
    return getattr(parser, getter)("C", **options), parser.reasons


DECIMAL = {"max_digits": 6, "decimal_places": 2}


@pytest.mark.parametrize(
    ("getter", "text", "options", "value", "reasons"),
    [
        ("date", "1990-01-31", {}, date(1990, 1, 31), []),
        ("date", None, {"required": True}, None, ["C is missing"]),
        ("date", "1990-02-30", {}, None, ["C '1990-02-30' is not a valid date"]),
        ("date", "31/01/1990", {}, None, ["C '31/01/1990' is not a date like 1990-01-31"]),
        ("boolean", "1", {}, True, []),
        ("boolean", "0", {}, False, []),
        ("boolean", "True", {}, True, []),
        ("boolean", "false", {}, False, []),
        ("boolean", None, {}, None, []),
        ("boolean", "2", {}, None, ["C '2' is not 0 or 1"]),
        ("decimal", "12.5", DECIMAL, Decimal("12.50"), []),
        ("decimal", "0.10", DECIMAL, Decimal("0.10"), []),
        ("decimal", "-1234.00", DECIMAL, Decimal("-1234.00"), []),
        ("decimal", "1.005", DECIMAL, None, ["C '1.005' does not fit decimal(6, 2)"]),
        ("decimal", "12345.1", DECIMAL, None, ["C '12345.1' does not fit decimal(6, 2)"]),
        ("decimal", "1e3", DECIMAL, None, ["C '1e3' is not a decimal number like 12.50"]),
    ],
)
def test_dates_bits_and_decimals_are_read_exactly(getter, text, options, value, reasons):
    read, found = _read(getter, text, **options)
    assert (read, [str(r) for r in found]) == (value, reasons)
    assert type(read) is type(value)


def test_a_json_bit_column_takes_true_false_0_and_1(tmp_path):
    path = tmp_path / "tblUsers.json"
    path.write_text(
        '[{"UserID": 1, "IsActive": true}, {"UserID": 2, "IsActive": 0},'
        ' {"UserID": true, "IsActive": "1"}]'
    )
    rows, rejections = read_json(path, USERS, UTC)
    assert rejections == []
    assert [dict(r.values) for r in rows] == [
        {"UserID": "1", "IsActive": "1"},
        {"UserID": "2", "IsActive": "0"},
        {"UserID": None, "IsActive": "1"},
    ]
    # a boolean in a numeric column stays refused
    assert [r.problems for r in rows] == [(), (), (("UserID", "UserID is true, not a number"),)]


STORED = [(1, True, date(1990, 1, 31), Decimal("12.50")), (2, False, None, Decimal("-0.10"))]
COLUMNS = {"InsureeID": "id", "Flag": "flag", "DOB": "dob", "Amount": "amount"}
INSUREES = LegacyTable("tblInsuree", "insurees", "auth.User", COLUMNS, _no_rows)


def test_dates_bits_and_decimals_export_as_the_legacy_forms():
    csv = "".join(export.csv_lines(INSUREES, STORED, UTC))
    assert csv == 'InsureeID,Flag,DOB,Amount\n1,1,"1990-01-31",12.50\n2,0,,-0.10\n'
    text = "".join(export.json_lines(INSUREES, STORED, UTC))
    assert text == (
        '[\n{"InsureeID": 1, "Flag": 1, "DOB": "1990-01-31", "Amount": 12.50},\n'
        '{"InsureeID": 2, "Flag": 0, "DOB": null, "Amount": -0.10}\n]\n'
    )
    assert json.loads(text, parse_float=Decimal)[0]["Amount"] == Decimal("12.50")


def test_a_failing_export_leaves_no_truncated_file(tmp_path, monkeypatch):
    earlier = tmp_path / "tblInsuree.json"
    earlier.write_text("[]\n")

    def failing(table, chunk_size=2000, user=None):
        yield STORED[0]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(export, "stored_rows", failing)
    with pytest.raises(RuntimeError, match="went away"):
        export.export_table(INSUREES, tmp_path, "json", UTC)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tblInsuree.json"]
    assert earlier.read_text() == "[]\n"  # the earlier export, untouched

    monkeypatch.setattr(export, "stored_rows", lambda table, user=None: iter(STORED))
    written = export.export_table(INSUREES, tmp_path, "csv", UTC)
    assert (written.path.name, written.rows) == ("tblInsuree.csv", 2)
    assert written.path.read_text().startswith("InsureeID,Flag,DOB,Amount\n1,1,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tblInsuree.csv", "tblInsuree.json"]
