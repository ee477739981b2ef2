"""``manage.py import_legacy``: the openIMIS demo exports, and small broken exports.

The demo facts asserted here come from ``tests/data/openimis-demo/README.md``.
"""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backend.legacy import LegacyRow, active_tables, importing
from backend.legacy.files import CsvSyntaxError, parse_csv
from backend.legacy.report import reason_kind, refusal_summary
from backend.legacy.sources import TableRun
from backend.management import progress
from backend.management.commands.import_legacy import Command
from backend.management.progress import plain_progress
from modules.location.legacy import COLUMNS as LOCATION_COLUMNS
from modules.location.models import Location
from modules.payer.legacy import COLUMNS as PAYER_COLUMNS
from modules.payer.models import Payer
from tests.legacy_helpers import run_import as run
from tests.legacy_helpers import snapshot

ULTHA_UUID = uuid.UUID("75250515-40d7-4c77-bafe-a2c65ffc5a72")
COFFEE_ADDRESS = "HR Manager\nCoffee Farmers Association\nHolobo 29\nP.B. Box 128\nJambero, Ultha\n"


@pytest.fixture
def demo(demo_dir) -> Path:
    """The folder of the committed openIMIS demo exports."""
    return demo_dir


# --- the demo data ------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_locations_are_imported_with_their_hierarchy_and_history(demo):
    out, _ = run(str(demo))

    assert "tblLocations -> location.Location: 53 created, 0 updated, 0 unchanged" in out
    assert Location.objects.count() == 53
    current = Location.objects.current()
    assert current.count() == 31
    assert {t: current.filter(type=t).count() for t in "RDWV"} == {"R": 2, "D": 5, "W": 10, "V": 14}
    assert Location.objects.filter(validity_to__isnull=False).count() == 22
    regions = current.filter(type="R").order_by("code")
    assert [(r.code, r.name) for r in regions] == [("R1", "Ultha"), ("R2", "Tahida")]
    ultha = Location.objects.get(uuid=ULTHA_UUID)
    assert (ultha.pk, ultha.code, ultha.name, ultha.parent_id) == (1, "R1", "Ultha", None)
    assert ultha.validity_from == datetime(2017, 1, 1, tzinfo=UTC)
    rapta = Location.objects.get(pk=17)
    assert (rapta.code, rapta.name, rapta.parent_id) == ("R1D1", "Rapta", 1)
    # AuditUserId is a user of the legacy database, kept apart from this one's users
    assert (rapta.legacy_audit_user_id, rapta.audit_user_id) == (2, None)
    assert sorted(current.filter(parent=ultha).values_list("code", flat=True)) == [
        "R1D1",
        "R1D2",
        "R1D3",
    ]
    old = Location.objects.get(pk=23)  # a history row, kept with its pointer and dates
    assert (old.code, old.name, old.parent_id, old.legacy_id, old.legacy_audit_user_id) == (
        "M0001",
        "Dis2Mun1",
        19,
        21,
        1,
    )
    assert old.validity_to == datetime(2016, 12, 31, tzinfo=UTC)
    assert old.male_population is None and old.families is None


@pytest.mark.django_db
def test_demo_payer_keeps_its_address_and_empty_strings(demo):
    out, _ = run(str(demo))

    assert "tblPayer -> payer.Payer: 2 created, 0 updated, 0 unchanged" in out
    payer = Payer.objects.current().get()
    assert (payer.pk, payer.name, payer.type, payer.location_id) == (
        1,
        "Coffee Farmers Association",
        "C",
        17,
    )
    assert payer.address == COFFEE_ADDRESS
    assert payer.address.encode() in (demo / "tblPayer.csv").read_bytes()  # byte-exact
    assert payer.phone == "+2552127867576"
    assert payer.fax == "" and payer.email == ""  # "" in the export, not NULL
    history = Payer.objects.get(pk=2)
    assert (history.legacy_id, history.location_id) == (1, 55)
    assert history.validity_to == datetime(2016, 12, 31, tzinfo=UTC)


@pytest.mark.django_db
def test_files_can_be_named_one_by_one(demo):
    out, _ = run(locations=demo / "tblLocations.csv", payers=str(demo / "tblPayer.csv"))

    assert "53 created" in out and "2 created" in out
    assert (Location.objects.count(), Payer.objects.count()) == (53, 2)


@pytest.mark.django_db
def test_second_run_creates_and_changes_nothing(demo):
    run(str(demo))
    before = snapshot()

    out, err = run(str(demo))

    assert "tblLocations -> location.Location: 0 created, 0 updated, 53 unchanged" in out
    assert "tblPayer -> payer.Payer: 0 created, 0 updated, 2 unchanged" in out
    assert err == ""
    assert snapshot() == before


@pytest.mark.django_db
def test_a_changed_row_is_updated_and_its_old_values_kept_as_history(demo, tmp_path):
    run(str(demo))
    text = (demo / "tblLocations.csv").read_text(encoding="utf-8")
    (tmp_path / "tblLocations.csv").write_text(
        text.replace('"R1","Ultha"', '"R1","Ultha North"', 1), encoding="utf-8"
    )
    started = datetime.now(UTC)
    out, _ = run(locations=tmp_path / "tblLocations.csv")

    assert "0 created, 1 updated, 52 unchanged; 1 old version(s) kept as history rows" in out
    ultha = Location.objects.get(uuid=ULTHA_UUID)
    assert (ultha.pk, ultha.name, ultha.validity_to) == (1, "Ultha North", None)
    old = Location.objects.get(legacy_id=1, name="Ultha", pk__gt=68)
    assert old.pk == 69  # above every imported id (68)
    assert old.uuid not in (ULTHA_UUID, None)
    assert (old.code, old.type, old.parent_id) == ("R1", "R", None)
    assert old.validity_from == datetime(2017, 1, 1, tzinfo=UTC)
    # ValidityFrom did not move (an edit outside openIMIS): the change happens at the
    # import, so a date before it shows the old name, and one version at a time
    assert started <= old.validity_to == ultha.validity_from <= datetime.now(UTC)
    at = datetime(2020, 1, 1, tzinfo=UTC)
    assert [v.name for v in Location.objects.valid_at(at).filter(code="R1")] == ["Ultha"]
    assert Location.objects.count() == 54

    again, _ = run(locations=tmp_path / "tblLocations.csv")

    assert "0 created, 0 updated, 53 unchanged" in again
    assert Location.objects.count() == 54


@pytest.mark.django_db
def test_a_new_version_from_the_legacy_side_closes_the_old_one_at_its_validity_from(demo, tmp_path):
    run(str(demo))
    text = (demo / "tblLocations.csv").read_text(encoding="utf-8")
    (tmp_path / "tblLocations.csv").write_text(
        text.replace(
            '"R1","Ultha",,"R","2017-01-01T00:00:00.000"',
            '"R1","Ultha North",,"R","2018-03-01T12:30:00.000"',
            1,
        ),
        encoding="utf-8",
    )

    run(locations=tmp_path / "tblLocations.csv")

    old = Location.objects.get(legacy_id=1, name="Ultha", pk__gt=68)
    assert old.validity_from == datetime(2017, 1, 1, tzinfo=UTC)
    assert old.validity_to == datetime(2018, 3, 1, 12, 30, tzinfo=UTC)
    assert Location.objects.get(pk=1).validity_from == old.validity_to


@pytest.mark.django_db
def test_payers_alone_use_locations_already_in_the_database(demo):
    run(locations=demo / "tblLocations.csv")

    out, _ = run(payers=demo / "tblPayer.csv")

    assert "tblPayer -> payer.Payer: 2 created" in out
    assert "tblLocations" not in out


@pytest.mark.django_db
def test_next_ordinary_insert_gets_a_new_id(demo):
    """On PostgreSQL this needs the sequence reset; SQLite takes max(id) + 1 by itself."""
    run(str(demo))
    imported = set(Location.objects.values_list("pk", flat=True))

    region = Location.objects.create(code="R9", name="New region", type="R")
    payer = Payer.objects.create(name="New payer", type="G", location=region)

    assert region.pk not in imported and region.pk > max(imported)
    assert payer.pk > 2


@pytest.mark.django_db
def test_a_rerun_repairs_a_sequence_left_behind(demo, monkeypatch):
    monkeypatch.setattr(importing, "reset_sequences", lambda models: None)
    run(str(demo))  # as if loaded without the reset
    monkeypatch.undo()

    run(str(demo))  # nothing created, but the sequences are reset

    assert Location.objects.create(code="R9", name="New region", type="R").pk > 68


@pytest.mark.django_db
def test_datetimes_are_read_in_the_legacy_time_zone(demo, settings):
    settings.LEGACY_TIME_ZONE = "Africa/Dar_es_Salaam"  # UTC+3, no daylight saving

    run(str(demo))

    assert Location.objects.get(pk=1).validity_from == datetime(2016, 12, 31, 21, tzinfo=UTC)


@pytest.mark.django_db
def test_an_unknown_legacy_time_zone_is_refused(demo, settings):
    settings.LEGACY_TIME_ZONE = "Mars/Olympus"
    with pytest.raises(CommandError, match="LEGACY_TIME_ZONE 'Mars/Olympus'"):
        run(str(demo))
    assert Location.objects.count() == 0


# --- small synthetic exports ----------------------------------------------------------

VALID_FROM, HISTORY_TO = "2017-01-01T00:00:00.000", "2016-12-31T00:00:00.000"
HISTORY_FROM = "2016-01-01T00:00:00.000"


def location(pk, code, name, type_, parent=None, **columns) -> dict:
    """A tblLocations row (legacy column -> value; None is NULL), current by default."""
    row = dict.fromkeys(LOCATION_COLUMNS)
    row.update(
        LocationId=pk,
        LocationUUID=str(uuid.UUID(int=pk)),
        LocationCode=code,
        LocationName=name,
        ParentLocationId=parent,
        LocationType=type_,
        ValidityFrom=VALID_FROM,
        AuditUserId=2,
    )
    row.update(columns)
    return row


def payer(pk, location_id, **columns) -> dict:
    """A tblPayer row, current by default."""
    row = dict.fromkeys(PAYER_COLUMNS)
    row.update(
        PayerID=pk,
        PayerUUID=str(uuid.UUID(int=1000 + pk)),
        PayerType="C",
        PayerName="Payer",
        PayerAddress="Line 1\nLine 2\n",
        LocationId=location_id,
        Phone="",
        ValidityFrom=VALID_FROM,
        AuditUserID=2,
    )
    row.update(columns)
    return row


def base_locations() -> list[dict]:
    return [
        location(1, "R1", "Region", "R"),
        location(2, "R1D1", "District", "D", parent=1),
        location(3, "R1D1W1", "Ward", "W", parent=2),
        location(4, "R1D1W1V1", "Village", "V", parent=3, MalePopulation=10, Families=3),
        location(
            5, "R1", "Old region", "R", ValidityFrom=HISTORY_FROM, ValidityTo=HISTORY_TO, LegacyId=1
        ),
    ]


def base_payers() -> list[dict]:
    return [
        payer(1, 2),
        payer(2, 1, ValidityFrom=HISTORY_FROM, ValidityTo=HISTORY_TO, LegacyID=1, Fax=None),
    ]


def csv_text(columns, rows) -> str:
    """Legacy export text: strings quoted, numbers bare, None as an empty field."""

    def field(value) -> str:
        if value is None:
            return ""
        if isinstance(value, int):
            return str(value)
        return '"' + value.replace('"', '""') + '"'

    lines = [",".join(columns)] + [",".join(field(row[c]) for c in columns) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def write(folder: Path, locations=None, payers=None) -> Path:
    """Write tblLocations.csv / tblPayer.csv (those given) into ``folder``."""
    if locations is not None:
        (folder / "tblLocations.csv").write_text(
            csv_text(LOCATION_COLUMNS, locations), encoding="utf-8", newline=""
        )
    if payers is not None:
        (folder / "tblPayer.csv").write_text(
            csv_text(PAYER_COLUMNS, payers), encoding="utf-8", newline=""
        )
    return folder


def set_(rows, index, **columns):
    rows[index].update(columns)


def in_location(index, **columns):
    """A change to the valid base: ``columns`` set on its location ``index``."""
    return lambda locations, payers: set_(locations, index, **columns)


def in_payer(index, **columns):
    """A change to the valid base: ``columns`` set on its payer ``index``."""
    return lambda locations, payers: set_(payers, index, **columns)


def extra_location(*args, **columns):
    """A change to the valid base: one more location, ``location(*args, **columns)``."""
    return lambda locations, payers: locations.append(location(*args, **columns))


def extra_payer(*args, **columns):
    """A change to the valid base: one more payer, ``payer(*args, **columns)``."""
    return lambda locations, payers: payers.append(payer(*args, **columns))


def all_of(*changes):
    """A change to the valid base made of ``changes``, in their order."""
    return lambda locations, payers: [change(locations, payers) for change in changes]


# Each case (by its id): a change to the valid base and the reason the import reports.
BAD_ROWS = {
    "unknown-parent": (
        in_location(1, ParentLocationId=99),
        "ParentLocationId 99 names no location",
    ),
    "region-with-parent": (
        extra_location(6, "R2", "R", "R", parent=1),
        "ParentLocationId: A region has no parent.",
    ),
    "district-without-parent": (
        in_location(1, ParentLocationId=None),
        "ParentLocationId: A district needs a parent region.",
    ),
    "district-under-district": (
        extra_location(6, "R1D2", "D", "D", parent=2),
        "ParentLocationId: The parent of a district must be a region, not a district",
    ),
    "ward-under-region": (
        in_location(2, ParentLocationId=1),
        "ParentLocationId: The parent of a municipality must be a district, not a region",
    ),
    "village-under-district": (
        in_location(3, ParentLocationId=2),
        "ParentLocationId: The parent of a village must be a municipality, not a district",
    ),
    "location-type": (
        in_location(0, LocationType="X"),
        "LocationType 'X' is not one of R, D, W, V",
    ),
    "payer-type": (in_payer(0, PayerType="Z"), "PayerType 'Z' is not one of C, D, G, L, O, P"),
    "long-code": (
        in_location(0, LocationCode="R12345678"),
        "LocationCode is longer than 8 characters (9)",
    ),
    "long-name": (
        in_location(0, LocationName="n" * 51),
        "LocationName is longer than 50 characters (51)",
    ),
    "long-payer-name": (
        in_payer(0, PayerName="n" * 101),
        "PayerName is longer than 100 characters (101)",
    ),
    "long-address": (
        in_payer(0, PayerAddress="a\n" * 51),
        "PayerAddress is longer than 100 characters (102)",
    ),
    "long-phone": (in_payer(0, Phone="1" * 51), "Phone is longer than 50 characters (51)"),
    "long-fax": (in_payer(0, Fax="1" * 51), "Fax is longer than 50 characters (51)"),
    "long-email": (in_payer(0, eMail="e" * 51), "eMail is longer than 50 characters (51)"),
    "missing-code": (in_location(0, LocationCode=None), "LocationCode is missing"),
    "blank-code": (in_location(0, LocationCode=" "), "LocationCode is missing (blank)"),
    "missing-name": (in_location(0, LocationName=None), "LocationName is missing"),
    "missing-type": (in_location(0, LocationType=None), "LocationType is missing"),
    "missing-payer-name": (in_payer(0, PayerName=""), "PayerName is missing (blank)"),
    "missing-id": (in_location(3, LocationId=None), "LocationId is missing"),
    "bad-uuid": (
        in_location(0, LocationUUID="75250515-40d7-4c77"),
        "LocationUUID '75250515-40d7-4c77' is not a UUID",
    ),
    "bad-datetime-form": (
        in_location(0, ValidityFrom="01/01/2017"),
        "ValidityFrom '01/01/2017' is not a datetime like 2017-01-01T00:00:00.000",
    ),
    "bad-datetime-value": (
        in_payer(0, ValidityFrom="2017-02-30T00:00:00.000"),
        "ValidityFrom '2017-02-30T00:00:00.000' is not a valid date and time",
    ),
    "bad-integer": (in_location(3, MalePopulation="12a"), "MalePopulation '12a' is not an integer"),
    "bad-id": (in_payer(0, PayerID="one"), "PayerID 'one' is not an integer"),
    "negative-population": (in_location(3, Families="-1"), "Families -1 is out of range"),
    "integer-overflow": (
        in_location(0, AuditUserId="2147483648"),
        "AuditUserId 2147483648 is out of range",
    ),
    "duplicate-uuid": (
        in_location(3, LocationUUID=str(uuid.UUID(int=3))),
        f"duplicate LocationUUID {uuid.UUID(int=3)}, first at line 4",
    ),
    "duplicate-id": (
        extra_location(4, "R1D1W1V2", "V2", "V", parent=3, LocationUUID=str(uuid.uuid4())),
        "duplicate id, first at line 5",
    ),
    "duplicate-id-of-a-bad-row": (
        all_of(
            in_location(3, LocationType="X"),
            extra_location(4, "R1D1W1V2", "V2", "V", parent=3, LocationUUID=str(uuid.uuid4())),
        ),
        "duplicate id, first at line 5",
    ),
    "duplicate-payer-id": (
        extra_payer(1, 2, PayerUUID=str(uuid.uuid4())),
        "duplicate id, first at line",
    ),
    "history-names-nothing": (in_location(4, LegacyId=99), "LegacyId 99 names no current row"),
    "history-names-history": (in_location(4, LegacyId=5), "LegacyId 5 names a history row"),
    "history-without-legacy-id": (
        in_location(4, LegacyId=None),
        "history row (ValidityTo set) has no LegacyId",
    ),
    "payer-history-names-nothing": (in_payer(1, LegacyID=7), "LegacyID 7 names no current row"),
    "payer-location-unknown": (in_payer(0, LocationId=99), "LocationId 99 names no location"),
    "current-code-twice": (
        extra_location(6, "R1", "Region again", "R"),
        "LocationCode 'R1' is already the code of the current row at line 2",
    ),
    "current-code-twice-in-other-case-and-spaces": (
        extra_location(6, " r1 ", "Region again", "R"),
        "LocationCode 'r1' is taken ignoring case: the current row at line 2 has the code 'R1'",
    ),
    "nul-character": (
        in_location(0, LocationName="Re\x00gion"),
        "LocationName contains a NUL character",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "reason"), BAD_ROWS.values(), ids=list(BAD_ROWS))
def test_a_bad_row_is_reported_and_nothing_is_written(tmp_path, change, reason):
    err = refused_with(tmp_path, change)
    assert reason in err, err


def refused_with(folder: Path, change) -> str:
    """Import the valid base with ``change`` from ``folder``, which must be refused with
    nothing written; the refusals printed (stderr)."""
    locations, payers = base_locations(), base_payers()
    change(locations, payers)
    _, err = run_and_capture_rejections(write(folder, locations, payers))
    assert (Location.objects.count(), Payer.objects.count()) == (0, 0)
    return err


def run_and_capture_rejections(folder: Path) -> tuple[str, str]:
    """Run an import that must be refused; return (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=r"problem\(s\) in \d+ row\(s\); nothing was written"):
        call_command("import_legacy", str(folder), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_current_codes_clash_by_the_case_rule_of_the_unique_index(tmp_path):
    """The import's rule is the database's (backend.casefold): é and É clash; ß is not
    SS (no one-character capital), so straße and STRASSE are two codes, as the index
    has them on PostgreSQL and SQLite."""
    clashing = [location(1, "éa1", "A", "R"), location(2, "ÉA1", "B", "R")]
    _, err = run_and_capture_rejections(write(tmp_path, clashing, []))
    assert (
        "LocationCode 'ÉA1' is taken ignoring case: the current row at line 2 has the "
        "code 'éa1'" in err
    ), err

    distinct = [location(1, "straße", "A", "R"), location(2, "STRASSE", "B", "R")]
    out, err = run(str(write(tmp_path, distinct, [])))
    assert "2 created" in out and err == ""
    assert sorted(Location.objects.values_list("code", flat=True)) == ["STRASSE", "straße"]


@pytest.mark.django_db
def test_the_valid_base_imports(tmp_path):
    """The synthetic base used by the bad-row cases is itself valid."""
    out, err = run(str(write(tmp_path, base_locations(), base_payers())))

    assert "5 created" in out and "2 created" in out and err == ""
    village = Location.objects.get(pk=4)
    assert (village.male_population, village.families, village.female_population) == (10, 3, None)
    old_payer = Payer.objects.get(pk=2)
    assert (old_payer.phone, old_payer.fax, old_payer.email) == ("", None, None)


@pytest.mark.django_db
def test_codes_are_stored_by_the_one_rule_for_codes(tmp_path):
    """Surrounding spaces go, as createLocation drops them, so the exact-code filter finds
    the imported row by its code."""
    locations = base_locations()
    set_(locations, 2, LocationCode=" R1D1W1\t")
    run(str(write(tmp_path, locations, base_payers())))

    assert Location.objects.get(pk=3).code == "R1D1W1"


@pytest.mark.django_db
def test_names_follow_the_write_path_and_every_changed_value_is_counted(tmp_path, settings):
    """Names lose their surrounding white space as codes do (createLocation, createPayer
    store them so); a 7th fractional digit (SQL Server datetime2(7)) cannot be kept
    (microseconds downstream). Neither is silent: the summary counts them by column."""
    settings.LEGACY_TIME_ZONE = "UTC"
    locations, payers = base_locations(), base_payers()
    set_(locations, 0, LocationName=" Region\t", ValidityFrom="2017-01-01T00:00:00.1234567")
    set_(locations, 1, LocationCode=" R1D1", ValidityFrom="2017-01-01T00:00:00.1234560")
    set_(payers, 0, PayerName="Payer ", Phone=" 012", PayerAddress=" Line 1\n")
    out, err = run(str(write(tmp_path, locations, payers)))

    assert err == ""
    region, district = Location.objects.get(pk=1), Location.objects.get(pk=2)
    assert (region.name, district.code) == ("Region", "R1D1")
    assert region.validity_from == datetime(2017, 1, 1, 0, 0, 0, 123456, UTC)
    assert district.validity_from.microsecond == 123456  # a 7th digit 0 loses nothing
    payer_ = Payer.objects.get(pk=1)
    assert (payer_.name, payer_.phone, payer_.address) == ("Payer", "012", " Line 1\n")
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if "stored otherwise than they came" in line)
    assert lines[start].startswith("5 value(s) stored otherwise than they came, by column")
    assert sorted(lines[start + 1 : start + 6]) == sorted(
        [
            "        1  tblLocations: LocationCode: surrounding white space removed",
            "        1  tblLocations: LocationName: surrounding white space removed",
            "        1  tblLocations: ValidityFrom: a 7th fractional digit dropped (100 ns; "
            "microseconds are kept)",
            "        1  tblPayer: PayerName: surrounding white space removed",
            "        1  tblPayer: Phone: surrounding white space removed",
        ]
    )


@pytest.mark.django_db
def test_the_length_limits_hold_for_the_trimmed_values(tmp_path):
    """A text is trimmed before its length is checked, as createLocation and createPayer
    accept a name of the limit plus surrounding spaces and store the limit: every trimmed
    column of both tables."""
    locations, payers = base_locations(), base_payers()
    set_(locations, 0, LocationName=" " + "n" * 50 + " ", LocationCode=" R1234567\t")
    set_(payers, 0, PayerName=" " + "p" * 100 + " ", Phone=" " + "1" * 50 + " ")
    set_(payers, 0, Fax="\t" + "2" * 50, eMail="e" * 44 + "@ex.tz" + " ")
    out, err = run(str(write(tmp_path, locations, payers)))

    assert err == ""
    region, payer_ = Location.objects.get(pk=1), Payer.objects.get(pk=1)
    assert (region.name, region.code) == ("n" * 50, "R1234567")
    assert (payer_.name, payer_.phone, payer_.fax, payer_.email) == (
        "p" * 100,
        "1" * 50,
        "2" * 50,
        "e" * 44 + "@ex.tz",
    )
    assert "6 value(s) stored otherwise than they came" in out


def _trimmed_and_refused(tmp_path) -> Path:
    """The valid base with 3 names trimmed: of the region, of the ward (refused: its
    Families is no number) and of the village (refused with it, its child)."""
    locations = base_locations()
    set_(locations, 0, LocationName=" Region ")
    set_(locations, 2, LocationName=" Ward ", Families="many")
    set_(locations, 3, LocationName=" Village ", ValidityFrom="2017-01-01T00:00:00.1234567")
    return write(tmp_path, locations, [])


@pytest.mark.django_db
def test_values_of_refused_rows_are_not_counted_as_stored(tmp_path):
    """With --load-valid, the summary counts the values of the rows stored only."""
    out, _err = run(str(_trimmed_and_refused(tmp_path)), load_valid=True)

    assert Location.objects.get(pk=1).name == "Region"
    assert not Location.objects.filter(pk__in=[3, 4]).exists()
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if "stored otherwise than they came" in line)
    assert lines[start].startswith("1 value(s) stored otherwise than they came, by column")
    assert lines[start + 1] == (
        "        1  tblLocations: LocationName: surrounding white space removed"
    )
    assert "ValidityFrom" not in out


@pytest.mark.django_db
def test_nothing_is_said_stored_otherwise_when_nothing_is_written(tmp_path):
    """All or nothing: a refused row means nothing is written, so no value is said to be
    stored otherwise than it came."""
    out, err = run_and_capture_rejections(_trimmed_and_refused(tmp_path))

    assert Location.objects.count() == 0
    assert "Families 'many' is not an integer" in err
    assert "stored otherwise" not in out


@pytest.mark.django_db
def test_every_rejection_is_reported_with_file_line_and_id(tmp_path):
    locations, payers = base_locations(), base_payers()
    set_(locations, 1, ParentLocationId=99)
    set_(locations, 3, LocationType="Q", MalePopulation="many")
    payers[0]["PayerAddress"] = "a\nb\nc"  # lines 2-4: the next payer starts on line 5
    set_(payers, 1, LocationId=77)

    _, err = run_and_capture_rejections(write(tmp_path, locations, payers))

    assert err.splitlines() == [
        "tblLocations.csv line 5 (LocationId 4): LocationType 'Q' is not one of R, D, W, V",
        "tblLocations.csv line 5 (LocationId 4): MalePopulation 'many' is not an integer",
        "tblLocations.csv line 3 (LocationId 2): ParentLocationId 99 names no location",
        # the rows that depend on a refused row are refused too, as with --load-valid
        "tblLocations.csv line 4 (LocationId 3): depends on ParentLocationId 2, which is refused",
        "tblPayer.csv line 5 (PayerID 2): LocationId 77 names no location",
        "tblPayer.csv line 2 (PayerID 1): depends on LocationId 2, which is refused",
    ]


@pytest.mark.django_db
def test_a_code_taken_in_the_database_in_other_case_names_the_code_there(tmp_path):
    Location.objects.create(pk=51, code="r1d1W1", name="Same code", type="R")
    before = snapshot()

    _, err = run_and_capture_rejections(write(tmp_path, base_locations(), base_payers()))

    assert (
        "(LocationId 3): LocationCode 'R1D1W1' is taken ignoring case: current location id 51 "
        "in the database has the code 'r1d1W1'"
    ) in err
    assert snapshot() == before


@pytest.mark.django_db
def test_ids_and_uuids_already_used_in_the_database_are_refused(tmp_path):
    Location.objects.create(pk=1, code="X1", name="Other", type="R")  # another uuid
    Location.objects.create(pk=50, uuid=uuid.UUID(int=2), code="X2", name="Clash", type="R")
    Location.objects.create(pk=51, code="R1D1W1", name="Same code", type="R")
    before = snapshot()

    _, err = run_and_capture_rejections(write(tmp_path, base_locations(), base_payers()))

    assert "(LocationId 1): id 1 is already used in the database by a row with LocationUUID" in err
    assert (
        f"(LocationId 2): LocationUUID {uuid.UUID(int=2)} is already used in the database by id 50"
        in err
    )
    assert (
        "(LocationId 3): LocationCode 'R1D1W1' is already the code of current location id 51" in err
    )
    assert snapshot() == before


@pytest.mark.django_db
def test_a_bad_payer_leaves_valid_location_changes_unwritten(tmp_path):
    write(tmp_path, base_locations(), base_payers())
    run(str(tmp_path))
    before = snapshot()
    locations, payers = base_locations(), base_payers()
    set_(locations, 0, LocationName="Renamed region")
    locations.append(location(6, "R2", "New region", "R"))
    set_(payers, 0, PayerType="?")

    run_and_capture_rejections(write(tmp_path, locations, payers))

    assert snapshot() == before


@pytest.mark.django_db
def test_rows_with_a_wrong_number_of_fields_are_rejected(tmp_path):
    write(tmp_path, base_locations(), [])
    path = tmp_path / "tblLocations.csv"
    path.write_text(path.read_text(encoding="utf-8") + '7,"x","R7"\r\n', encoding="utf-8")

    _, err = run_and_capture_rejections(tmp_path)

    assert "tblLocations.csv line 7 (LocationId 7): 3 fields, but the header has 14 columns" in err


# --- file-level errors ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tblLocations.csv", b"", "is empty"),
        (
            "tblLocations.csv",
            b"LocationId,LocationUUID\r\n",
            "missing column(s) LocationCode, LocationName",
        ),
        (
            "tblLocations.csv",
            csv_text((*LOCATION_COLUMNS, "Region"), []).encode(),
            "unknown column(s) 'Region'",
        ),
        (
            "tblLocations.csv",
            csv_text((*LOCATION_COLUMNS, "LocationCode"), []).encode(),
            "repeated column(s) LocationCode",
        ),
        (
            "tblLocations.csv",
            csv_text(LOCATION_COLUMNS, [location(1, "R1", "Tahída", "R")]).encode("latin-1"),
            "is not UTF-8: byte 0xed at line 2",
        ),
        (
            "tblLocations.csv",
            csv_text(LOCATION_COLUMNS, [location(1, "R1", "Region", "R")]).encode()
            + b'2,"unterminated\r\n',
            "line 3: not valid CSV: a quoted field is not closed",
        ),
        (
            "tblLocations.csv",
            csv_text(LOCATION_COLUMNS, [location(1, "R1", "Region", "R")])
            .replace(",", ";")
            .encode(),
            "header of tblLocations: the header has one column 'LocationId;LocationUUID;"
            "LocationCode;Loc…': the file looks ';'-delimited; legacy exports are "
            "','-delimited.",
        ),
        (
            "tblLocations.csv",
            csv_text(LOCATION_COLUMNS, [location(1, "R1", "Region", "R")])
            .replace(",", "\t")
            .encode(),
            "the file looks '\\t'-delimited; legacy exports are ','-delimited.",
        ),
        ("tblLocations.json", b'{"LocationId": 1}', "expected a JSON array of row objects"),
        ("tblLocations.json", b'[{"LocationId": 1,}]', "line 1 column 19: not valid JSON"),
        (
            "tblLocations.json",
            b"[" * 100_000,
            "tblLocations.json: not readable JSON: arrays and objects nested more deeply than "
            "the JSON parser can follow (about 1,000 levels).",
        ),
        (
            "tblLocations.json",
            b'[{"LocationId": 1, "Region": "x"}]',
            "tblLocations has no column(s) 'Region' (row 1)",
        ),
    ],
    ids=[
        "empty",
        "missing-columns",
        "unknown-column",
        "repeated-column",
        "latin-1",
        "bad-csv",
        "semicolon-delimited",
        "tab-delimited",
        "json-not-an-array",
        "bad-json",
        "json-nested-too-deeply",
        "json-unknown-key",
    ],
)
def test_a_broken_file_is_a_clear_error(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    write(tmp_path, payers=[])

    with pytest.raises(CommandError) as error:
        run(str(tmp_path))

    assert message in str(error.value)
    assert Location.objects.count() == 0


@pytest.mark.django_db
def test_header_names_are_case_insensitive_and_a_bom_is_allowed(tmp_path):
    text = csv_text(LOCATION_COLUMNS, base_locations()).replace("LocationId", "LOCATIONID", 1)
    (tmp_path / "tblLocations.csv").write_text(text, encoding="utf-8-sig")

    out, _ = run(str(write(tmp_path, payers=[])))

    assert "5 created" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (
            (),
            {},
            "Nothing to import: give a directory, --locations PATH --payers PATH or --database URL",
        ),
        (("{tmp}",), {}, "holds none of the legacy exports (tblLocations.csv, tblPayer.csv)"),
        (("{tmp}/nowhere",), {}, "Not a directory"),
        ((), {"locations": "{tmp}/nope.csv"}, "tblLocations: file not found"),
        (("{tmp}",), {"payers": "{tmp}/tblPayer.csv"}, "not both"),
    ],
    ids=["nothing", "empty-folder", "no-folder", "missing-file", "both"],
)
def test_command_line_errors(tmp_path, args, options, message):
    args = [a.format(tmp=tmp_path) for a in args]
    options = {k: v.format(tmp=tmp_path) for k, v in options.items()}
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args, **options)


def test_tables_come_from_the_active_modules_in_module_order():
    tables = active_tables()
    assert [(t.name, t.option, t.model) for t in tables] == [
        ("tblLocations", "locations", "location.Location"),
        ("tblPayer", "payers", "payer.Payer"),
    ]


def test_progress_bar_only_for_many_rows_on_a_terminal(capsys):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    rows = list(range(1001))
    assert list(Command(stdout=Terminal())._progress(rows, "t")) == rows
    assert "0/1001 [" in capsys.readouterr().err  # tqdm's bar, on stderr
    few = rows[:1000]
    assert Command(stdout=Terminal())._progress(few, "t") is few
    terminal = Terminal()
    Command(stdout=terminal).step("tblLocations: writing 1,001 rows")
    assert terminal.getvalue() == ""  # step lines are for logs; the bar and summary suffice
    out = io.StringIO()
    assert list(Command(stdout=out)._progress(rows, "t")) == rows
    assert capsys.readouterr().err == "" and out.getvalue() == ""  # no bar, and quick


def test_plain_progress_lines_every_few_seconds_with_rows_total_and_rate():
    lines, now = [], [100.0]

    def clock() -> float:
        return now[0]

    def rows():
        for row in range(25_000):
            now[0] += 0.001  # 1,000 rows/s
            yield row

    assert len(list(plain_progress(rows(), total=25_000, name="tblX", write=lines.append,
                                   clock=clock))) == 25_000  # fmt: skip
    assert lines == [
        "tblX: 10,000/25,000 rows (40 %), 1,000 rows/s",
        "tblX: 20,000/25,000 rows (80 %), 1,000 rows/s",
        "tblX: 25,000 rows in 25.0 s, 1,000 rows/s",
    ]
    quick: list[str] = []
    list(plain_progress(range(5), total=5, name="tblX", write=quick.append))
    assert quick == []  # shorter than the interval: nothing to say


@pytest.mark.django_db
def test_an_import_whose_output_is_no_terminal_prints_plain_progress_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "PLAIN_PROGRESS_SECONDS", 0.0)  # a line per row
    villages = [location(10 + n, f"V{n}", "V", "V", parent=3) for n in range(1000)]
    out, _ = run(str(write(tmp_path, base_locations() + villages, [])))

    lines = [line for line in out.splitlines() if "rows/s" in line and "->" not in line]
    assert re.fullmatch(r"tblLocations: 1/1,005 rows \(0 %\), [\d,]+ rows/s", lines[0])
    assert re.fullmatch(r"tblLocations: 1,005/1,005 rows \(100 %\), [\d,]+ rows/s", lines[-3])
    assert re.fullmatch(r"tblLocations: 1,005 rows in \d+\.\d s, [\d,]+ rows/s", lines[-2])
    assert "\r" not in out and "1005 created" in out
    steps = [
        re.sub(r" \(at \d+\.\d s\)$", "", line) for line in out.splitlines() if " (at " in line
    ]
    assert steps == [
        "reading the legacy tables",
        "tblLocations: writing 1,005 rows",
        "tblPayer: writing 0 rows",
        "checking the tables as loaded",
        "writing the report",
    ]

    quiet = io.StringIO()
    call_command("import_legacy", str(tmp_path), verbosity=0, stdout=quiet)
    assert quiet.getvalue() == ""


@pytest.mark.django_db
@pytest.mark.parametrize("load_valid", [False, True], ids=["all-or-nothing", "load-valid"])
def test_refusals_end_with_a_count_per_reason_and_example_ids(tmp_path, load_valid):
    locations = base_locations()
    locations += [location(n, f"W{n}", "Ward", "W", parent=5000 + n) for n in range(10, 2010)]
    locations += [location(n, f"X{n}", "Ward", "W", parent=2, Families="many")
                  for n in range(3000, 3004)]  # fmt: skip
    locations += [location(n, f"V{n}", "V", "V", parent=n - 4000) for n in range(4010, 4015)]
    write(tmp_path, locations, base_payers())
    out, err = io.StringIO(), io.StringIO()
    if load_valid:
        call_command("import_legacy", str(tmp_path), load_valid=True, stdout=out, stderr=err)
    else:
        with pytest.raises(CommandError, match="nothing was written"):
            call_command("import_legacy", str(tmp_path), stdout=out, stderr=err)

    assert len(err.getvalue().splitlines()) == 2000 + 4 + 5  # every refusal, one a line
    summary = out.getvalue().split("by reason (", 1)[1].splitlines()
    assert summary[0].startswith("every one is listed on stderr and in ")
    assert summary[1:4] == [
        "    2,000  tblLocations: ParentLocationId … names no location "
        "(e.g. LocationId 10, LocationId 11, LocationId 12, …)",
        "        5  tblLocations: depends on ParentLocationId …, which is refused "
        "(e.g. LocationId 4010, LocationId 4011, LocationId 4012, …)",
        "        4  tblLocations: Families '…' is not an integer "
        "(e.g. LocationId 3000, LocationId 3001, LocationId 3002, …)",
    ]
    assert "2,009 problem(s) in 2,009 refused row(s), by reason" in out.getvalue()
    assert Location.objects.count() == (5 if load_valid else 0)


def test_the_summary_of_many_reasons_stays_short():
    table = active_tables()[0]
    rows = [
        LegacyRow("f.csv", n, f"LocationId {n}", {}).reject(f"reason number {chr(65 + n)} 7")
        for n in range(20)
    ]
    runs = [TableRun(table, "f.csv", [], rows)]

    lines = refusal_summary(runs, reasons=15)

    assert len(lines) == 16
    assert lines[0] == "        1  tblLocations: reason number A … (e.g. LocationId 0)"
    assert lines[-1] == "        5  5 other reason(s), in the full list and the report"
    assert reason_kind("LocationUUID 'x' and 00000000-0000-0000-0000-000000000003, -1 (9)") == (
        "LocationUUID '…' and …, … (…)"
    )


@pytest.mark.django_db
def test_a_folder_lacking_a_table_of_an_active_module_is_refused_naming_it(tmp_path):
    write(tmp_path, base_locations())  # no tblPayer.csv, the payer module active

    with pytest.raises(CommandError) as error:
        run(str(tmp_path))

    assert str(error.value) == (
        f"{tmp_path} lacks tblPayer.csv or tblPayer.json (table tblPayer of the active "
        "module 'payer'); nothing was written. To import only the other table(s), name "
        f"their files: import_legacy --locations {tmp_path / 'tblLocations.csv'}"
    )
    assert Location.objects.count() == 0
    out, _ = run(locations=tmp_path / "tblLocations.csv")  # the way the message names
    assert "tblLocations -> location.Location: 5 created" in out


# --- the CSV reader -----------------------------------------------------------------------


def test_csv_tells_null_from_the_empty_string():
    assert list(parse_csv('1,,"",x\n')) == [(1, ["1", None, "", "x"])]
    assert list(parse_csv('a,"b"')) == [(1, ["a", "b"])]  # no final line break
    assert list(parse_csv("a,\n")) == [(1, ["a", None])]
    assert list(parse_csv(',"",\r\n')) == [(1, [None, "", None])]


def test_csv_quoted_fields_keep_quotes_commas_and_line_breaks_byte_for_byte():
    text = 'h1,h2\r\n1,"say ""hi"", twice"\r\n2,"a\r\nb\nc\rd"\r\n\r\n3,""""\n'
    assert list(parse_csv(text)) == [
        (1, ["h1", "h2"]),
        (2, ["1", 'say "hi", twice']),
        (3, ["2", "a\r\nb\nc\rd"]),
        (8, ["3", '"']),  # the record after the blank line 7
    ]


@pytest.mark.parametrize(
    "text",
    [
        'a,b,c\r\n1,"x, y",\r\n2,"",""\r\n',
        'x,"multi\nline ""quoted"" text",z\n\n"last",,\n',
        'only\r\n"a"\r\n\r\n""\r\n',
        "trailing,comma,\nno,final,newline",
        '"\u00e9\u1780",\u0101,"\U0001f600"\n',
    ],
)
def test_csv_values_match_the_stdlib_reader(text):
    ours = [[v if v is not None else "" for v in fields] for _line, fields in parse_csv(text)]
    stdlib = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r]
    assert ours == stdlib


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('a,"b\nc\n', 1, "a quoted field is not closed"),
        ('a\nb,c"d\n', 2, "a double quote inside an unquoted field"),
        ('a,"b\nc"d\n', 2, "text after the closing quote of a field"),
    ],
)
def test_csv_syntax_errors_name_the_line(text, line, message):
    with pytest.raises(CsvSyntaxError) as error:
        list(parse_csv(text))
    assert (error.value.line, error.value.message) == (line, message)


def test_csv_unterminated_quote_fails_fast():
    started = time.perf_counter()
    with pytest.raises(CsvSyntaxError):
        list(parse_csv('"' + "ab" * 200_000))
    assert time.perf_counter() - started < 1


@pytest.mark.django_db
@pytest.mark.parametrize("load_valid", [False, True], ids=["all-or-nothing", "load-valid"])
def test_rows_depending_on_a_row_refused_as_read_say_so_in_both_modes(tmp_path, load_valid):
    """Region 1 has 6 fields: the rows naming it depend on a refused row, which is in
    the file (not "names no location")."""
    write(tmp_path, base_locations(), base_payers())
    path = tmp_path / "tblLocations.csv"
    lines = path.read_bytes().decode().split("\r\n")
    lines[1] = ",".join(lines[1].split(",")[:6])
    path.write_text("\r\n".join(lines), encoding="utf-8")

    err = io.StringIO()
    if load_valid:
        call_command(
            "import_legacy", str(tmp_path), load_valid=True, stdout=io.StringIO(), stderr=err
        )
    else:
        with pytest.raises(
            CommandError, match=r"8 problem\(s\) in 7 row\(s\); nothing was written"
        ):
            call_command("import_legacy", str(tmp_path), stdout=io.StringIO(), stderr=err)

    assert sorted(err.getvalue().splitlines()) == [
        "tblLocations.csv line 2 (LocationId 1): 6 fields, but the header has 14 columns",
        "tblLocations.csv line 3 (LocationId 2): depends on ParentLocationId 1, which is refused",
        "tblLocations.csv line 4 (LocationId 3): depends on ParentLocationId 2, which is refused",
        "tblLocations.csv line 5 (LocationId 4): depends on ParentLocationId 3, which is refused",
        "tblLocations.csv line 6 (LocationId 5): depends on LegacyId 1, which is refused",
        "tblPayer.csv line 2 (PayerID 1): depends on LocationId 2, which is refused",
        "tblPayer.csv line 5 (PayerID 2): depends on LegacyID 1, which is refused",
        "tblPayer.csv line 5 (PayerID 2): depends on LocationId 1, which is refused",
    ]
    assert Location.objects.count() == 0 and Payer.objects.count() == 0


@pytest.mark.django_db
def test_the_summary_keeps_the_constant_digits_of_a_reason(tmp_path):
    """The summary groups by the message with only the row's values masked: the example
    format and the limits stay as they are."""
    locations = base_locations()
    locations += [location(n, f"W{n}", "Ward", "W", parent=2, ValidityFrom=f"0{n - 10}/01/2017")
                  for n in range(11, 14)]  # fmt: skip
    locations += [location(n, f"X{n}", "Ward", "W", parent=2, MalePopulation="99999999999")
                  for n in range(20, 22)]  # fmt: skip
    out, err = run_and_capture_rejections(write(tmp_path, locations, base_payers()))

    assert "ValidityFrom '01/01/2017' is not a datetime like 2017-01-01T00:00:00.000" in err
    summary = out.split("by reason (", 1)[1].splitlines()
    assert summary[1:3] == [
        "        3  tblLocations: ValidityFrom '…' is not a datetime like "
        "2017-01-01T00:00:00.000 (e.g. LocationId 11, LocationId 12, LocationId 13)",
        "        2  tblLocations: MalePopulation … is out of range (0..2147483647) "
        "(e.g. LocationId 20, LocationId 21)",
    ]
