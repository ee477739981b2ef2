"""``import_legacy`` from JSON exports: a value of a JSON type its column does not take
(a boolean, an array, an object) is refused, naming the column and the type it takes;
positions in a JSON file are rows, in every message (``backend/legacy/files.py``)."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from modules.location.models import Location
from tests.test_import_legacy import base_locations, location, write


def _refusals(tmp_path, rows) -> list[str]:
    """Import ``rows`` as tblLocations.json (no payers); the refusal lines, after checking
    that nothing was written."""
    (tmp_path / "tblLocations.json").write_text(json.dumps(rows), encoding="utf-8")
    write(tmp_path, payers=[])
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_legacy", str(tmp_path), stdout=io.StringIO(), stderr=err)
    assert Location.objects.count() == 0
    return err.getvalue().splitlines()


@pytest.mark.django_db
def test_booleans_are_refused_not_read_as_integers(tmp_path):
    rows = base_locations()
    rows[0].update(MalePopulation=True, FemalePopulation=False)
    rows[1].update(AuditUserId=True, LocationName=False)

    lines = _refusals(tmp_path, rows)

    assert lines[:4] == [
        "tblLocations.json row 1 (LocationId 1): MalePopulation is true, not a number",
        "tblLocations.json row 1 (LocationId 1): FemalePopulation is false, not a number",
        "tblLocations.json row 2 (LocationId 2): LocationName is false, not a string",
        "tblLocations.json row 2 (LocationId 2): AuditUserId is true, not a number",
    ]
    assert sorted(lines[4:]) == [  # the rows below and the history of the refused ones
        "tblLocations.json row 3 (LocationId 3): depends on ParentLocationId 2, which is refused",
        "tblLocations.json row 4 (LocationId 4): depends on ParentLocationId 3, which is refused",
        "tblLocations.json row 5 (LocationId 5): depends on LegacyId 1, which is refused",
    ]


@pytest.mark.django_db
def test_a_boolean_id_is_no_id(tmp_path):
    """``"LocationId": true`` is not id 1 (no "duplicate id" of row 1's)."""
    rows = base_locations()
    rows[1]["LocationId"] = True

    lines = _refusals(tmp_path, rows)

    assert "tblLocations.json row 2 (no LocationId): LocationId is true, not a number" in lines
    assert not [line for line in lines if "duplicate" in line], lines


@pytest.mark.django_db
def test_nested_values_name_the_type_their_column_takes(tmp_path):
    rows = base_locations()
    rows[0].update(LocationUUID={"uuid": "x"}, Families=[3])

    assert _refusals(tmp_path, rows)[:2] == [
        "tblLocations.json row 1 (LocationId 1): LocationUUID is an object, not a string",
        "tblLocations.json row 1 (LocationId 1): Families is an array, not a number",
    ]


@pytest.mark.django_db
def test_positions_in_a_json_file_are_rows(tmp_path):
    """The messages pointing at another row of the file (a repeated id, uuid or current
    code) name it as a row, as the refused row itself is named."""
    rows = base_locations()
    rows += [
        location(6, "R9", "Again", "R") | {"LocationId": 4, "LocationUUID": str(uuid.uuid4())},
        location(7, "R8", "Same uuid", "R"),
        location(8, "R1", "Same code", "R"),
    ]
    rows[6]["LocationUUID"] = rows[0]["LocationUUID"]

    lines = _refusals(tmp_path, rows)

    assert "tblLocations.json row 6 (LocationId 4): duplicate id, first at row 4" in lines
    assert (
        f"tblLocations.json row 7 (LocationId 7): duplicate LocationUUID {uuid.UUID(int=1)}, "
        "first at row 1" in lines
    )
    assert (
        "tblLocations.json row 8 (LocationId 8): LocationCode 'R1' is already the code of the "
        "current row at row 1" in lines
    )
    assert not [line for line in lines if " line " in line], lines


@pytest.mark.django_db
def test_a_number_with_a_fraction_or_an_exponent_is_read_as_written(tmp_path):
    rows = base_locations()
    # read as Python floats, these were the texts "1000.0" and "0.1"
    rows[0]["LocationName"] = "__NAME__"
    rows[0]["LocationCode"] = "__CODE__"
    text = json.dumps(rows).replace('"__NAME__"', "1e3").replace('"__CODE__"', "0.10")
    (tmp_path / "tblLocations.json").write_text(text, encoding="utf-8")
    write(tmp_path, payers=[])
    call_command("import_legacy", str(tmp_path), stdout=io.StringIO(), stderr=io.StringIO())

    row = Location.objects.get(pk=rows[0]["LocationId"])
    assert (row.name, row.code) == ("1e3", "0.10")
