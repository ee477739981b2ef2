"""What ``import_legacy`` reports: every row with its outcome, in the ``legacy_staging``
table (PostgreSQL) and/or a JSON Lines file; and ``--load-valid``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.db import connection

from backend.legacy.staging.models import StagingRow
from modules.location.models import Location
from modules.payer.models import Payer
from tests.legacy_helpers import run_import
from tests.test_import_legacy import base_locations, base_payers, location, payer, set_, write

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parent.parent / "README.md"
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the staging table is written on PostgreSQL"
)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def outcomes(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(table, key) -> (outcome, reason) from a report file."""
    return {(r["table"], r["key"]): (r["outcome"], r["reason"]) for r in records(path)}


def refusals(got: dict[tuple[str, str], tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(table, key) -> reason of every refused row of :func:`outcomes`."""
    return {key: reason for key, (outcome, reason) in got.items() if outcome == "refused"}


def broken_district(folder: Path) -> Path:
    """The synthetic base with a district of an unknown type: its municipality, village,
    and the payer at the district depend on it."""
    locations, payers = base_locations(), base_payers()
    set_(locations, 1, LocationType="X")
    locations.append(location(6, "R2", "Second region", "R"))
    payers.append(payer(3, 6))
    return write(folder, locations, payers)


def test_load_valid_loads_the_rest_and_refuses_the_dependents(tmp_path):
    report = tmp_path / "report.jsonl"

    out, err = run_import(str(broken_district(tmp_path)), load_valid=True, report=report)

    assert sorted(Location.objects.values_list("pk", flat=True)) == [1, 5, 6]
    assert list(Payer.objects.values_list("pk", flat=True)) == [3]
    assert "tblLocations -> location.Location: 3 created, 0 updated, 0 unchanged, 3 refused" in out
    assert "tblPayer -> payer.Payer: 1 created, 0 updated, 0 unchanged, 2 refused" in out
    assert "Legacy import done; 5 row(s) refused." in out
    got = outcomes(report)
    assert got[("tblLocations", "LocationId 1")] == ("created", "")
    assert got[("tblPayer", "PayerID 3")] == ("created", "")
    assert refusals(got) == {
        ("tblLocations", "LocationId 2"): "LocationType 'X' is not one of R, D, W, V",
        ("tblLocations", "LocationId 3"): "depends on ParentLocationId 2, which is refused",
        ("tblLocations", "LocationId 4"): "depends on ParentLocationId 3, which is refused",
        ("tblPayer", "PayerID 1"): "depends on LocationId 2, which is refused",
        ("tblPayer", "PayerID 2"): "depends on LegacyID 1, which is refused",
    }
    assert "tblPayer.csv line 2 (PayerID 1): depends on LocationId 2, which is refused" in err

    again, _ = run_import(str(tmp_path), load_valid=True, report=tmp_path / "again.jsonl")

    assert "0 created, 0 updated, 3 unchanged, 3 refused" in again
    assert outcomes(tmp_path / "again.jsonl")[("tblLocations", "LocationId 1")] == (
        "unchanged",
        "",
    )


def test_a_refused_run_reports_every_row_and_writes_nothing(tmp_path):
    report = tmp_path / "report.jsonl"

    with pytest.raises(CommandError, match=re.escape(f"{report}.")):
        run_import(str(broken_district(tmp_path)), report=report)

    assert Location.objects.count() == 0
    rows = records(report)
    assert len(rows) == 6 + 3
    assert {r["outcome"] for r in rows} == {"refused", "not loaded"}
    first = rows[0]
    assert (first["table"], first["position"], first["key"], first["outcome"]) == (
        "tblLocations",
        2,
        "LocationId 1",
        "not loaded",
    )
    assert first["row"]["LocationCode"] == "R1" and first["row"]["ParentLocationId"] is None
    assert first["run"] == rows[-1]["run"]


def test_on_sqlite_the_report_goes_to_a_file_by_default(tmp_path, settings):
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the report goes to the staging table")
    settings.LEGACY_REPORT_DIR = str(tmp_path / "reports")
    (tmp_path / "reports").mkdir()

    out, _ = run_import(str(write(tmp_path, base_locations(), base_payers())))

    [report] = (tmp_path / "reports").glob("legacy-import-*.jsonl")
    assert f"report: {report}" in out
    assert [r["outcome"] for r in records(report)] == ["created"] * 7
    assert StagingRow.objects.count() == 0


def readme_sql() -> list[str]:
    """The SQL blocks of the README's staging section."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### What came in, and why a row was refused") :]
    section = section[: section.index("\n### ", 10)]
    blocks = re.findall(r"```sql\n(.*?)```", section, re.DOTALL)
    assert len(blocks) >= 2, "the README shows two queries over legacy_staging"
    return blocks


@on_postgres
def test_the_staging_table_answers_the_readme_queries(tmp_path):
    write(tmp_path, base_locations(), base_payers())
    run_import(str(tmp_path))  # a good run first
    locations = base_locations()
    set_(locations, 3, ParentLocationId=77)  # the village LocationId 4
    write(tmp_path, locations)
    with pytest.raises(CommandError):
        run_import(str(tmp_path))  # the latest run: refused

    per_outcome, refused_villages = readme_sql()[:2]
    with connection.cursor() as cursor:
        cursor.execute(per_outcome)
        assert cursor.fetchall() == [
            ("tblLocations", "not loaded", 4),
            ("tblLocations", "refused", 1),
            ("tblPayer", "not loaded", 2),
        ]
        cursor.execute(refused_villages)
        assert cursor.fetchall() == [
            ("4", "R1D1W1V1", "77", "ParentLocationId 77 names no location")
        ]
    assert StagingRow.objects.values("run").distinct().count() == 2
    assert StagingRow.objects.filter(outcome="created").count() == 7


@on_postgres
def test_staging_rows_are_the_report_records(tmp_path):
    report = tmp_path / "report.jsonl"
    run_import(str(broken_district(tmp_path)), load_valid=True, report=report)

    stored = {
        (s.table, s.key): (s.outcome, s.reason, s.row)
        for s in StagingRow.objects.filter(run=records(report)[0]["run"])
    }

    assert stored == {
        (r["table"], r["key"]): (r["outcome"], r["reason"], r["row"]) for r in records(report)
    }


def test_load_valid_leaves_out_rows_refused_by_the_reference_checks(tmp_path):
    """Rows whose values are fine but whose references are not (an unknown parent, a
    history row of no current row) are refused, and so are their dependents."""
    locations, payers = base_locations(), base_payers()
    set_(locations, 2, ParentLocationId=99)  # the municipality 3; village 4 lies below it
    set_(locations, 4, LegacyId=77)  # the history row 5
    report = tmp_path / "report.jsonl"

    out, _ = run_import(str(write(tmp_path, locations, payers)), load_valid=True, report=report)

    assert sorted(Location.objects.values_list("pk", flat=True)) == [1, 2]
    assert sorted(Payer.objects.values_list("pk", flat=True)) == [1, 2]
    assert refusals(outcomes(report)) == {
        ("tblLocations", "LocationId 3"): "ParentLocationId 99 names no location",
        ("tblLocations", "LocationId 4"): "depends on ParentLocationId 3, which is refused",
        ("tblLocations", "LocationId 5"): "LegacyId 77 names no current row",
    }
    assert "2 created, 0 updated, 0 unchanged, 3 refused" in out
    assert "7 rows in " in out  # 5 locations and 2 payers, each counted once
