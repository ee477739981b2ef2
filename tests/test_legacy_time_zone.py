"""The legacy time zone is remembered: data imported in one zone are not re-read or
exported in another by mistake (``backend.legacy.zone``).

Before, a second import of the unchanged demo export with LEGACY_TIME_ZONE=America/New_York
"updated" all 53 locations and kept 31 old versions as history rows that never were, and
an export in another zone shifted every date."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backend.legacy.staging.models import RecordedTimeZone
from backend.management.commands import import_legacy
from modules.location.models import Location
from tests.legacy_helpers import run_import, snapshot

pytestmark = pytest.mark.django_db

NEW_YORK = "America/New_York"


def recorded() -> list[str]:
    return list(RecordedTimeZone.objects.values_list("name", flat=True))


def export(directory: Path, *options: str) -> str:
    out = io.StringIO()
    call_command("export_legacy", str(directory), *options, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def first_validity_from(path: Path) -> str:
    """ValidityFrom of the first data line of an exported tblLocations.csv."""
    header, first = path.read_text(encoding="utf-8").splitlines()[:2]
    return first.split(",")[header.split(",").index("ValidityFrom")]


def test_the_first_import_records_its_zone(demo_dir, settings):
    settings.LEGACY_TIME_ZONE = "Africa/Dar_es_Salaam"

    run_import(str(demo_dir))

    assert recorded() == ["Africa/Dar_es_Salaam"]


def test_a_reimport_in_another_zone_is_refused_before_anything_is_read(
    demo_dir, settings, monkeypatch, tmp_path
):
    run_import(str(demo_dir))  # UTC, the default
    before = snapshot()
    settings.LEGACY_TIME_ZONE = NEW_YORK
    settings.LEGACY_REPORT_DIR = str(tmp_path)

    def no_reading(*args, **kwargs):
        raise AssertionError("the sources were read")

    monkeypatch.setattr(import_legacy, "read_sources", no_reading)
    with pytest.raises(CommandError) as refused:
        run_import(str(demo_dir))

    message = str(refused.value)
    assert message.startswith(
        "The legacy data in this database were read in time zone 'UTC'; LEGACY_TIME_ZONE "
        "is 'America/New_York'. import_legacy in 'America/New_York' would read every legacy "
        "datetime at another instant"
    )
    assert "kept as history rows. Nothing was read or written." in message
    assert "Set LEGACY_TIME_ZONE=UTC" in message
    assert "--time-zone-change" in message and "import into an empty database" in message
    assert snapshot() == before
    assert (Location.objects.count(), recorded()) == (53, ["UTC"])
    assert list(tmp_path.iterdir()) == []  # no report either


def test_with_the_option_the_import_changes_the_zone_as_it_did_before(demo_dir, settings):
    run_import(str(demo_dir))
    settings.LEGACY_TIME_ZONE = NEW_YORK

    out, _ = run_import(str(demo_dir), time_zone_change=True)

    assert (
        "tblLocations -> location.Location: 0 created, 53 updated, 0 unchanged; "
        "31 old version(s) kept as history rows"
    ) in out
    assert Location.objects.count() == 84
    assert Location.objects.get(pk=1).validity_from == datetime(2017, 1, 1, 5, tzinfo=UTC)
    assert recorded() == [NEW_YORK]
    out, _ = run_import(str(demo_dir))  # the new zone, recorded: nothing changes
    assert "tblLocations -> location.Location: 0 created, 0 updated, 53 unchanged" in out


def test_a_refused_import_records_no_zone(demo_dir, tmp_path):
    (tmp_path / "tblLocations.csv").write_text(
        (demo_dir / "tblLocations.csv").read_text(encoding="utf-8").replace(',"R",', ',"X",', 1),
        encoding="utf-8",
    )
    (tmp_path / "tblPayer.csv").write_bytes((demo_dir / "tblPayer.csv").read_bytes())

    with pytest.raises(CommandError, match="nothing was written"):
        run_import(str(tmp_path))

    assert (Location.objects.count(), recorded()) == (0, [])


def test_an_export_in_another_zone_is_refused_and_writes_nothing(demo_dir, settings, tmp_path):
    run_import(str(demo_dir))
    settings.LEGACY_TIME_ZONE = NEW_YORK
    out = tmp_path / "out"

    with pytest.raises(CommandError) as refused:
        export(out)

    message = str(refused.value)
    assert message.startswith(
        "The legacy data in this database were read in time zone 'UTC'; LEGACY_TIME_ZONE "
        "is 'America/New_York'. export_legacy in 'America/New_York' would write every date "
        "shifted"
    )
    assert "Set LEGACY_TIME_ZONE=UTC" in message and "--time-zone-change" in message
    assert not out.exists()

    export(out, "--time-zone-change")  # deliberately: the dates in New York's time
    assert first_validity_from(out / "tblLocations.csv") == '"2016-12-31T19:00:00.000"'
    assert recorded() == ["UTC"]  # an export records nothing
    settings.LEGACY_TIME_ZONE = "UTC"
    export(tmp_path / "same")
    demo = (demo_dir / "tblLocations.csv").read_bytes()
    assert (tmp_path / "same" / "tblLocations.csv").read_bytes() == demo


def test_imported_rows_without_a_recorded_zone_are_refused_until_it_is_stated(
    demo_dir, settings, tmp_path
):
    """A database imported before the zone was recorded: its zone is unknown."""
    run_import(str(demo_dir))
    RecordedTimeZone.objects.all().delete()
    before = snapshot()
    settings.LEGACY_TIME_ZONE = NEW_YORK

    for command in (lambda: run_import(str(demo_dir)), lambda: export(tmp_path / "out")):
        with pytest.raises(CommandError) as refused:
            command()
        assert str(refused.value).startswith(
            "This database holds imported rows (tblLocations LocationId 1) but no record of "
            "the legacy time zone they were read in"
        )
        assert "If they were read in 'America/New_York', run again with --time-zone-change" in (
            str(refused.value)
        )
    assert (snapshot(), recorded()) == (before, [])
    assert not (tmp_path / "out").exists()

    settings.LEGACY_TIME_ZONE = "UTC"  # the zone they were read in, stated
    out, _ = run_import(str(demo_dir), time_zone_change=True)
    assert "0 created, 0 updated, 53 unchanged" in out
    assert recorded() == ["UTC"]


def test_rows_made_here_only_are_exported_in_any_zone(settings, tmp_path):
    Location.objects.create(code="R1", name="Region", type="R")
    settings.LEGACY_TIME_ZONE = NEW_YORK

    assert "location.Location -> " in export(tmp_path, "--format", "csv")
    assert recorded() == []
