"""A later import cannot leave the database's hierarchy inconsistent (found by a new user).

Given the openIMIS demo database imported, when a second export changes rows that other
current rows depend on, then the import is refused as a whole and nothing changes.
"""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from modules.location.models import Location
from modules.payer.models import Payer

pytestmark = pytest.mark.django_db


def demo_rows(demo_dir, table: str) -> tuple[list[str], dict[str, list[str]]]:
    text = (demo_dir / f"{table}.csv").read_text(encoding="utf-8")
    header, *rows = list(csv.reader(io.StringIO(text)))
    return header, {row[0]: row for row in rows}


def write(path, header, rows) -> None:
    """Write rows in the legacy shape: strings quoted, empty cells as NULL."""
    lines = [",".join(header)]
    for row in rows:
        cells = []
        for name, value in zip(header, row, strict=True):
            numeric = name.endswith(("Id", "ID", "Population")) or name == "Families"
            cells.append(value if (value == "" or numeric) else '"' + value + '"')
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def snapshot():
    return (
        sorted(Location.objects.values_list("id", "type", "parent_id", "validity_to")),
        sorted(Payer.objects.values_list("id", "location_id", "validity_to")),
    )


@pytest.fixture
def imported(demo_dir):
    call_command("import_legacy", str(demo_dir), verbosity=0)
    return demo_dir


@pytest.mark.parametrize(
    ("location_id", "changes", "problem"),
    [
        # municipality Achi retyped as a district: its villages would hang under a district
        ("34", {"LocationType": "D", "ParentLocationId": "1"}, "has parent R1D1M1 Achi"),
        # district Rapta retired: its municipalities and its payer would hang on history
        (
            "17",
            {"ValidityTo": "2018-01-01T00:00:00.000", "LegacyId": "1"},
            "hangs under history row id 17",
        ),
    ],
)
def test_changes_that_break_dependants_are_refused(imported, tmp_path, location_id, changes,
                                                    problem):  # fmt: skip
    header, rows = demo_rows(imported, "tblLocations")
    row = rows[location_id]
    for column, value in changes.items():
        row[header.index(column)] = value
    write(tmp_path / "tblLocations.csv", header, [row])
    before = snapshot()
    with pytest.raises(CommandError, match="inconsistent; nothing was written") as refused:
        call_command("import_legacy", locations=str(tmp_path / "tblLocations.csv"), verbosity=0)
    assert problem in str(refused.value)
    assert snapshot() == before


def test_a_current_location_under_a_history_parent_is_refused(demo_dir, tmp_path, capsys):
    """Refused as its row, with the location service's rule (a parent is current), before
    anything is written; the whole-table check after loading (``check_hierarchy``) keeps
    catching rows the file does not hold (above)."""
    header, rows = demo_rows(demo_dir, "tblLocations")
    rows["22"][header.index("ParentLocationId")] = "42"  # 42: an old version of R2D1M1
    write(tmp_path / "tblLocations.csv", header, rows.values())
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_legacy", locations=str(tmp_path / "tblLocations.csv"), verbosity=0)
    assert (
        "tblLocations.csv line 8 (LocationId 22): ParentLocationId: The parent R2D1M1 Jaber is "
        "a history version, not current." in capsys.readouterr().err.splitlines()
    )
    assert Location.objects.count() == 0


def test_a_version_valid_at_no_time_is_refused(demo_dir, tmp_path, capsys):
    header, rows = demo_rows(demo_dir, "tblLocations")
    rows["23"][header.index("ValidityFrom")] = "2018-01-01T00:00:00.000"
    write(tmp_path / "tblLocations.csv", header, rows.values())
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_legacy", locations=str(tmp_path / "tblLocations.csv"), verbosity=0)
    assert (
        "line 9 (LocationId 23): ValidityFrom 2018-01-01 00:00 is after ValidityTo "
        "2016-12-31 00:00: the version is valid at no time" in capsys.readouterr().err
    )
    assert Location.objects.count() == 0
