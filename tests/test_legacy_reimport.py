"""``import_legacy`` run again over a database it filled: every way a row can have changed
since (on the legacy side, with or without a later ValidityFrom, here through the API,
on both sides), and the version intervals each leaves.

The invariants (openIMIS history, README "Running it again; rows that changed"): no
version ends before it starts or is valid at no time, the versions of one row never
overlap, and the latest version is the current row.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from backend.legacy.saving import version_change
from modules.location.models import Location
from modules.payer.models import Payer
from tests.legacy_helpers import run_import as run
from tests.legacy_helpers import snapshot

pytestmark = pytest.mark.django_db

RAPTA = "5345ef14-12ab-4e98-a07c-1e08d7105df4"  # LocationId 17, R1D1
#: The highest id of the demo exports per table; history copies made here come above.
SOURCE_IDS = {Location: 68, Payer: 2}
Y2017, Y2020 = datetime(2017, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC)
FOREVER = datetime.max.replace(tzinfo=UTC)


def violations(model) -> list[str]:
    """Every break of the version invariants among the rows of ``model``: per row (a
    current row with its history rows), a version with ``validity_from`` not before
    ``validity_to``, two versions valid at one instant (except two history rows both
    from the legacy source, as the demo has: rows 33 and 40 of Vida), and a current row
    that is not the latest version."""
    family = defaultdict(list)
    for row in model.objects.all():
        family[row.legacy_id if row.validity_to else row.pk].append(row)
    problems = []
    for pk, versions in family.items():
        for v in versions:
            if v.validity_to is not None and v.validity_to <= v.validity_from:
                problems.append(f"{pk}: version {v.pk} {v.validity_from} - {v.validity_to}")
        for a in versions:
            for b in versions:
                source = max(a.pk, b.pk) <= SOURCE_IDS[model] and a.validity_to and b.validity_to
                if a.pk < b.pk and not source:
                    a_end, b_end = a.validity_to or FOREVER, b.validity_to or FOREVER
                    if a.validity_from < b_end and b.validity_from < a_end:
                        problems.append(f"{pk}: versions {a.pk} and {b.pk} overlap")
        latest = max(versions, key=lambda v: v.validity_from)
        if any(v.validity_to is None for v in versions) and latest.validity_to is not None:
            problems.append(f"{pk}: the current row is not the latest version")
    return problems


def without_paths(tables):
    return [[{k: v for k, v in row.items() if k != "path"} for row in rows] for rows in tables]


def valid_at(model, moment, **filters) -> list[str]:
    return [v.name for v in model.objects.valid_at(moment).filter(**filters)]


def changed_export(demo: Path, folder: Path, table: str, old: str, new: str) -> Path:
    """``folder`` holding the demo exports with ``old`` replaced by ``new`` (once) in
    ``table``'s file."""
    folder.mkdir(exist_ok=True)
    for name in ("tblLocations", "tblPayer"):
        text = (demo / f"{name}.csv").read_text(encoding="utf-8")
        if name == table:
            assert old in text
            text = text.replace(old, new, 1)
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def test_the_demo_import_keeps_the_invariants(demo_dir):
    run(str(demo_dir))
    assert violations(Location) == [] and violations(Payer) == []


VIDA_ROW = '"R2D2","Vida",18,"D","2017-01-01T00:00:00.000"'
JUNE_2019 = datetime(2019, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("table", "model", "pk", "old", "new", "before", "after", "starts"),
    [
        (
            "tblLocations",
            Location,
            20,
            VIDA_ROW,
            VIDA_ROW.replace("Vida", "Vida Renamed"),
            "Vida",
            "Vida Renamed",
            None,  # no later ValidityFrom: the change happens at the import
        ),
        (
            "tblPayer",
            Payer,
            1,
            '"C","Coffee Farmers Association"',
            '"C","Coffee Farmers Association Renamed"',
            "Coffee Farmers Association",
            "Coffee Farmers Association Renamed",
            None,
        ),
        (
            "tblLocations",
            Location,
            20,
            VIDA_ROW,
            VIDA_ROW.replace("Vida", "Vida Renamed").replace("2017-01-01", "2019-06-01"),
            "Vida",
            "Vida Renamed",
            JUNE_2019,  # a later ValidityFrom: the change happens then
        ),
    ],
    ids=["location", "payer", "location-later-validity-from"],
)
def test_a_legacy_change_keeps_the_old_values_until_it_starts(
    demo_dir, tmp_path, table, model, pk, old, new, before, after, starts
):
    run(str(demo_dir))
    folder = changed_export(demo_dir, tmp_path / "changed", table, old, new)
    start = timezone.now()

    out, _ = run(str(folder))
    end = timezone.now()

    assert "1 updated" in out and "1 old version(s) kept as history rows" in out
    current = model.objects.get(pk=pk)
    copy = model.objects.get(legacy_id=pk, pk__gt=SOURCE_IDS[model])
    assert (current.name, copy.name) == (after, before)
    assert copy.validity_from == Y2017
    assert copy.validity_to == current.validity_from
    if starts is None:
        assert start <= current.validity_from <= end
    else:
        assert current.validity_from == starts
    just_before = current.validity_from - timedelta(microseconds=1)
    assert valid_at(model, just_before, pk__in=[pk, copy.pk]) == [before]  # the past is kept
    assert valid_at(model, end, pk__in=[pk, copy.pk]) == [after]
    assert violations(model) == []
    kept = snapshot()

    again, _ = run(str(folder))  # the same source again: nothing to do

    assert f"{table} -> {model._meta.label}: 0 created, 0 updated" in again
    assert snapshot() == kept


@pytest.fixture
def renamed_here(demo_dir, gql) -> None:
    """The demo imported, then Rapta (R1D1) renamed "Rapta API" through the API."""
    run(str(demo_dir))
    result = gql.data(
        f'mutation {{ updateLocation(input: {{uuid: "{RAPTA}", name: "Rapta API"}}) '
        "{ errors { code } } }"
    )
    assert result["updateLocation"]["errors"] == []


def rapta_at(gql, moment: str) -> list[str]:
    data = gql.data(
        f'{{ locations(validity: {{at: "{moment}"}}, filter: {{code: "R1D1"}}) '
        "{ edges { node { name } } } }"
    )
    return [edge["node"]["name"] for edge in data["locations"]["edges"]]


@pytest.mark.usefixtures("renamed_here")
def test_a_row_changed_here_is_not_undone_by_an_older_legacy_row(demo_dir, gql):
    kept = snapshot()

    with pytest.raises(CommandError, match="problem"):
        run(str(demo_dir))
    _, err = run(str(demo_dir), load_valid=True)

    assert (
        "tblLocations.csv line 3 (LocationId 17): changed here on "
        f"{Location.objects.get(pk=17).validity_from:%Y-%m-%d %H:%M} (not by an import), "
        "and the legacy row (ValidityFrom 2017-01-01 00:00) is not later: importing its "
        "LocationName would undo that change."
    ) in err
    # the change here stands; nothing else differs (but the materialised path of the API's
    # history copy, which the import rebuilds from the copy's own uuid)
    assert without_paths(snapshot()) == without_paths(kept)
    assert rapta_at(gql, "2020-01-01T00:00:00Z") == ["Rapta"]
    assert rapta_at(gql, timezone.now().isoformat()) == ["Rapta API"]
    assert violations(Location) == []


@pytest.mark.usefixtures("renamed_here")
def test_the_same_change_made_on_both_sides_is_unchanged(demo_dir, tmp_path):
    kept = snapshot()
    folder = changed_export(
        demo_dir, tmp_path / "changed", "tblLocations", '"R1D1","Rapta"', '"R1D1","Rapta API"'
    )

    out, err = run(str(folder))

    assert "0 created, 0 updated, 53 unchanged" in out and err == ""
    assert without_paths(snapshot()) == without_paths(kept)


@pytest.mark.usefixtures("renamed_here")
def test_a_legacy_row_later_than_the_change_here_wins(demo_dir, tmp_path):
    later = timezone.now().replace(year=timezone.now().year + 1)
    folder = changed_export(
        demo_dir,
        tmp_path / "changed",
        "tblLocations",
        '"R1D1","Rapta",1,"D","2017-01-01T00:00:00.000"',
        f'"R1D1","Rapta Legacy",1,"D","{later:%Y-%m-%dT%H:%M:%S.000}"',
    )

    run(str(folder))

    assert valid_at(Location, later, code="R1D1") == ["Rapta Legacy"]
    assert valid_at(Location, timezone.now(), code="R1D1") == ["Rapta API"]
    assert violations(Location) == []


NOW = datetime(2026, 12, 5, 10, tzinfo=UTC)
T_API = datetime(2026, 6, 1, tzinfo=UTC)
LATER = datetime(2027, 1, 1, tzinfo=UTC)


def region(**values) -> Location:
    row = {"pk": 1, "code": "R1", "name": "Ultha", "type": "R", "validity_from": Y2017}
    return Location(**{"legacy_audit_user_id": 2, **row, **values})


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # the same row: nothing to do
        (region(), region(), ("unchanged", None, None)),
        # a later ValidityFrom: the old values end there
        (region(), region(name="N", validity_from=Y2020), ("updated", Y2020, Y2020)),
        # an edit outside openIMIS: at the import
        (region(), region(name="N"), ("updated", NOW, NOW)),
        # a version an earlier import started at its time, the same data: unchanged
        (region(validity_from=T_API), region(), ("unchanged", None, None)),
        # changed again on the legacy side: at this import
        (region(validity_from=T_API), region(name="N"), ("updated", NOW, NOW)),
        # only the derived path differs: the module's to keep (rebuild_paths)
        (region(path="ab"), region(path="cd"), ("unchanged", None, None)),
        # the legacy side closes the row: in place, keeping the later start here
        (
            region(validity_from=T_API),
            region(validity_to=LATER, legacy_audit_user_id=3),
            ("updated", None, T_API),
        ),
        # changed here, the same data on the legacy side (who and since when aside)
        (
            region(validity_from=T_API, legacy_audit_user_id=None),
            region(),
            ("unchanged", None, None),
        ),
        # changed here, a later legacy version wins
        (
            region(validity_from=T_API, legacy_audit_user_id=None),
            region(name="N", validity_from=LATER),
            ("updated", LATER, LATER),
        ),
    ],
)
def test_version_change_keeps_the_versions_in_sequence(old, new, expected):
    change = version_change(old, new, NOW)
    assert (change.outcome, change.closed_at, change.valid_from) == expected
    assert change.refusal is None


@pytest.mark.parametrize(
    ("old", "new", "refusal"),
    [
        (
            region(validity_from=T_API, legacy_audit_user_id=None),
            region(name="N", type="D"),
            "changed here on 2026-06-01 00:00 (not by an import), and the legacy row "
            "(ValidityFrom 2017-01-01 00:00) is not later: importing its LocationName, "
            "LocationType would undo that change.",
        ),
        (
            region(validity_to=T_API, legacy_audit_user_id=None),
            region(),
            "deleted here on 2026-06-01 00:00 (not by an import), and the legacy row "
            "(ValidityFrom 2017-01-01 00:00) is not later: importing its ValidityTo would "
            "undo that change.",
        ),
        (
            region(validity_from=LATER),
            region(name="N"),
            "changed on the legacy side without a later ValidityFrom, so at the time of this "
            "import (2026-12-05 10:00), but the version here starts at 2027-01-01 00:00: it "
            "would be valid at no time",
        ),
        (
            region(validity_from=LATER),
            region(validity_to=Y2020),
            "closed on the legacy side at 2020-01-01 00:00, not after the version here "
            "began (2027-01-01 00:00)",
        ),
    ],
    ids=["changed-here", "deleted-here", "starts-after-the-import", "closed-before-it-began"],
)
def test_version_change_refuses_what_would_break_the_sequence(old, new, refusal):
    columns = {"name": "LocationName", "type": "LocationType", "validity_to": "ValidityTo"}
    change = version_change(old, new, NOW, columns)
    assert change.outcome is None
    assert refusal in change.refusal
