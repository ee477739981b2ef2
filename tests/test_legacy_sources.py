"""``import_legacy`` from JSON exports and from a live legacy database: the same rows, the
same mapping, the same result as from the CSV exports."""

from __future__ import annotations

import io
import json
import re
import shutil
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from modules.location.models import Location
from modules.payer.models import Payer
from tests.legacy_helpers import (
    csv_rows,
    for_json_path,
    legacy_postgres,
    run_import,
    snapshot,
    wipe,
)
from tests.test_import_legacy import base_locations, csv_text, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_exports(demo_dir, tmp_path) -> Path:
    """The demo tables as SQL Server's ``FOR JSON PATH`` writes them (NULLs left out)."""
    folder = tmp_path / "json"
    folder.mkdir()
    for table in ("tblLocations", "tblPayer"):
        (folder / f"{table}.json").write_text(
            for_json_path(demo_dir / f"{table}.csv"), encoding="utf-8"
        )
    return folder


@pytest.fixture
def legacy_db(demo_dir):
    try:
        with legacy_postgres(demo_dir) as url:
            yield url
    except OSError as error:
        pytest.skip(str(error))


def test_csv_json_and_live_postgres_give_identical_tables(demo_dir, json_exports, legacy_db):
    run_import(str(demo_dir))
    from_csv = snapshot()
    assert len(from_csv[0]) == 53 and len(from_csv[1]) == 2

    wipe()
    out, _ = run_import(str(json_exports))
    assert "tblLocations -> location.Location: 53 created" in out
    assert snapshot() == from_csv

    wipe()
    out, _ = run_import(database=legacy_db)
    assert "tblLocations -> location.Location: 53 created" in out
    assert "tblPayer -> payer.Payer: 2 created" in out
    assert snapshot() == from_csv
    assert f"tblLocations: 53 rows in {legacy_db}" in out  # the source, named

    out, _ = run_import(database=legacy_db)  # and a rerun changes nothing
    assert "0 created, 0 updated, 53 unchanged" in out
    assert snapshot() == from_csv


def test_import_from_a_live_database_then_create_a_location(legacy_db):
    """The id sequences continue above the imported ids (PostgreSQL needs the reset)."""
    run_import(database=legacy_db)

    region = Location.objects.create(code="R9", name="New region", type="R")

    assert region.pk == 69


def test_a_json_export_with_nulls_written_out_reads_the_same(demo_dir, json_exports):
    rows = json.loads((json_exports / "tblLocations.json").read_text())
    for row in rows:  # json_agg / INCLUDE_NULL_VALUES style: every key, null values
        for column in ("ParentLocationId", "ValidityTo", "LegacyId", "Families"):
            row.setdefault(column, None)
        row["LocationId"] = str(row["LocationId"])  # a number as text reads alike
    (json_exports / "tblLocations.json").write_text(json.dumps(rows))
    run_import(str(demo_dir))
    from_csv = snapshot()
    wipe()

    run_import(str(json_exports))

    assert snapshot() == from_csv


def test_the_rowversion_column_is_ignored_by_csv_and_json_as_by_a_database(
    demo_dir, json_exports, tmp_path
):
    """Full-table exports carry SQL Server's ``RowId`` (``RowID`` in tblPayer); every
    source ignores it, as the live-database path does (``IGNORED_COLUMNS``)."""
    run_import(str(demo_dir))
    plain = snapshot()
    folder = tmp_path / "with-rowid"
    folder.mkdir()
    for table, column in (("tblLocations", "RowId"), ("tblPayer", "RowID")):
        header, rows = csv_rows(demo_dir / f"{table}.csv")
        stamped = [dict(zip(header, row, strict=True), **{column: "0x07D1"}) for row in rows]
        (folder / f"{table}.csv").write_text(csv_text([*header, column], stamped))
        rows = json.loads((json_exports / f"{table}.json").read_text())
        for row in rows:
            row[column] = "AAAAAAAAB9E="  # FOR JSON PATH writes binary as base64
        (json_exports / f"{table}.json").write_text(json.dumps(rows))
    wipe()

    out, err = run_import(str(folder))

    assert "tblLocations -> location.Location: 53 created" in out and err == ""
    assert snapshot() == plain
    wipe()
    out, err = run_import(str(json_exports))
    assert "tblPayer -> payer.Payer: 2 created" in out and err == ""
    assert snapshot() == plain


def test_bad_json_rows_are_listed_with_their_row_number(tmp_path):
    rows = [{k: v for k, v in row.items() if v is not None} for row in base_locations()]
    rows[1]["MalePopulation"] = {"male": 3}
    rows.append([1, 2])
    text = json.dumps(rows)[:-1] + ', {"LocationId": 9, "locationid": 9}]'
    (tmp_path / "tblLocations.json").write_text(text)
    write(tmp_path, payers=[])
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_legacy", str(tmp_path), stdout=io.StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert (
        "tblLocations.json row 2 (LocationId 2): MalePopulation is an object, not a number" in lines
    )
    assert "tblLocations.json row 6 (no LocationId): an array, not a row object" in lines
    assert "tblLocations.json row 7 (LocationId 9): LocationId is given twice" in lines
    assert Location.objects.count() == 0


def test_a_directory_with_both_csv_and_json_of_a_table_is_refused(tmp_path):
    write(tmp_path, base_locations())
    shutil.copy(tmp_path / "tblLocations.csv", tmp_path / "tblLocations.json")

    with pytest.raises(
        CommandError, match=re.escape("holds both tblLocations.csv and tblLocations.json")
    ):
        run_import(str(tmp_path))


def test_rows_without_a_uuid_get_distinct_ones_that_a_rerun_keeps(tmp_path):
    rows = base_locations()
    for row in rows[1:]:
        row["LocationUUID"] = None if row["LocationId"] % 2 else ""
    write(tmp_path, rows, [])

    run_import(str(tmp_path))
    uuids = dict(Location.objects.values_list("pk", "uuid"))
    assert uuids[1] == uuid.UUID(int=1)  # kept
    assert len(set(uuids.values())) == 5 and None not in uuids.values()

    out, _ = run_import(str(tmp_path))

    assert "0 created, 0 updated, 5 unchanged" in out
    assert dict(Location.objects.values_list("pk", "uuid")) == uuids


def test_an_unreachable_database_is_a_clear_error():
    with pytest.raises(CommandError, match="Cannot connect to the legacy database postgres://"):
        run_import(database="postgres://nobody:secret@127.0.0.1:1/none")


def test_the_password_never_shows_in_messages():
    with pytest.raises(CommandError) as error:
        run_import(database="postgres://nobody:s3cret@127.0.0.1:1/none")
    assert "s3cret" not in str(error.value)


def test_sql_server_without_its_driver_names_the_extra():
    try:
        import pymssql  # noqa: F401
    except ImportError:
        with pytest.raises(CommandError, match=r"pip install -e '.\[mssql\]'"):
            run_import(database="mssql://sa:pw@127.0.0.1:1/openIMIS")
    else:
        pytest.skip("pymssql is installed")


def test_an_unknown_scheme_is_refused():
    with pytest.raises(CommandError, match="Unsupported legacy database URL scheme 'mysql'"):
        run_import(database="mysql://u@h/db")


def test_database_and_files_together_are_refused(tmp_path):
    with pytest.raises(CommandError, match="not both"):
        run_import(str(tmp_path), database="postgres://u@h/db")


def test_payers_json_alone(demo_dir, json_exports):
    run_import(locations=demo_dir / "tblLocations.csv")

    out, _ = run_import(payers=json_exports / "tblPayer.json")

    assert "tblPayer -> payer.Payer: 2 created" in out
    assert Payer.objects.get(pk=1).fax == ""  # "" stays "", a left-out key is NULL
    assert Payer.objects.get(pk=1).legacy_id is None


@pytest.mark.django_db
def test_a_bad_json_row_reports_the_problem_of_every_column(tmp_path):
    rows = [{k: v for k, v in row.items() if v is not None} for row in base_locations()]
    rows[0].update(LocationId="x", LocationCode=5, LocationName=["a"], MalePopulation="many")
    (tmp_path / "tblLocations.json").write_text(json.dumps(rows))
    write(tmp_path, payers=[])
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_legacy", str(tmp_path), stdout=io.StringIO(), stderr=err)

    # LocationCode 5 reads as the code "5" (numbers are read as their text)
    assert [line for line in err.getvalue().splitlines() if " row 1 " in line] == [
        "tblLocations.json row 1 (LocationId x): LocationName is an array, not a string",
        "tblLocations.json row 1 (LocationId x): LocationId 'x' is not an integer",
        "tblLocations.json row 1 (LocationId x): MalePopulation 'many' is not an integer",
    ]
    assert Location.objects.count() == 0
