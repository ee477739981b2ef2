"""``manage.py export_legacy`` and the round trip import -> export -> import -> export."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from modules.location.demo import cambodia
from modules.location.models import Location
from modules.payer.models import Payer
from tests.legacy_helpers import run_import, snapshot, wipe

pytestmark = pytest.mark.django_db
FILES = ("tblLocations.csv", "tblLocations.json", "tblPayer.csv", "tblPayer.json")


def export(folder: Path, **options) -> str:
    out = io.StringIO()
    call_command("export_legacy", str(folder), stdout=out, **options)
    return out.getvalue()


def contents(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


def test_the_demo_exports_back_byte_for_byte(demo_dir, tmp_path):
    run_import(str(demo_dir))

    out = export(tmp_path)

    assert "location.Location -> " in out and "tblLocations.csv: 53 rows" in out
    for name in ("tblLocations.csv", "tblPayer.csv"):
        assert (tmp_path / name).read_bytes() == (demo_dir / name).read_bytes(), name


def test_the_json_export_is_what_the_import_reads(demo_dir, tmp_path):
    run_import(str(demo_dir))
    export(tmp_path, format="json")

    payers = json.loads((tmp_path / "tblPayer.json").read_text(encoding="utf-8"))

    assert not (tmp_path / "tblPayer.csv").exists()
    assert payers[1] == {
        "PayerID": 2,
        "PayerUUID": "4e96409c-d1dc-4a32-99ad-b46d654c8b9d",
        "PayerType": "C",
        "PayerName": "Coffee Farmers Association",
        "PayerAddress": "HR Manager\nCoffee Farmers Association\nHolobo 29\nP.B. Box 128\n"
        "Jambero, Ultha\n",
        "LocationId": 55,
        "Phone": "+2552127867576",
        "Fax": "",
        "eMail": "",
        "ValidityFrom": "2016-01-01T00:00:00.000",
        "ValidityTo": "2016-12-31T00:00:00.000",
        "LegacyID": 1,
        "AuditUserID": 2,
    }


def round_trip(tmp_path: Path, formats=("csv", "json")) -> None:
    """Export, import the export into an empty database, export again: same tables and
    the same bytes, from the CSV files (and from the JSON files)."""
    before = snapshot()
    export(tmp_path / "first")

    for fmt in formats:
        wipe()
        source = tmp_path / fmt
        source.mkdir()
        for name in FILES:
            if name.endswith(fmt):
                (source / name).write_bytes((tmp_path / "first" / name).read_bytes())
        run_import(str(source))
        assert snapshot() == before, fmt
        export(tmp_path / f"again-{fmt}")
        assert contents(tmp_path / f"again-{fmt}") == contents(tmp_path / "first"), fmt


def test_round_trip_of_the_demo_data_with_a_changed_row(demo_dir, tmp_path):
    run_import(str(demo_dir))
    changed = tmp_path / "changed"
    changed.mkdir()
    text = (demo_dir / "tblLocations.csv").read_text(encoding="utf-8")
    (changed / "tblLocations.csv").write_text(text.replace('"Rapta"', '"Rapta Town"'))
    run_import(locations=changed / "tblLocations.csv")  # one more history row, own id and uuid
    assert Location.objects.count() == 54

    round_trip(tmp_path)


def test_round_trip_of_the_cambodia_hierarchy(tmp_path):
    """load_cambodia's ~16,400 locations (uuid5 uuids, datetimes with microseconds) and
    a payer, exported, imported into an empty database and exported again (CSV; the
    JSON files are compared too, the demo test reads them back)."""
    result = cambodia.load()
    assert result.created > 16_000
    region = Location.objects.filter(type="R").order_by("code").first()
    Payer.objects.create(name='A "quoted", name', type="G", location=region, phone="")

    round_trip(tmp_path, formats=("csv",))


def test_export_into_a_file_path_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(CommandError, match="Not a directory"):
        export(tmp_path / "file")


def test_values_a_spreadsheet_would_run_are_exported_as_stored_with_a_warning(demo_dir, tmp_path):
    """The export is for import_legacy and the legacy database: a formula-like value
    (OWASP CSV injection) is not altered, which would lose it on the way back; the
    command counts them and names the first."""
    run_import(str(demo_dir))
    formula = '=HYPERLINK("http://evil.example","x")'
    # "@x" in the fax: an e-mail "@x" is refused by the payer service, and so by the import
    Payer.objects.create(name=formula, type="G", email="", phone="-1", fax="@x")

    out = export(tmp_path / "out", format="csv")

    text = (tmp_path / "out" / "tblPayer.csv").read_text(encoding="utf-8")
    assert '"=HYPERLINK(""http://evil.example"",""x"")"' in text
    assert ',"-1","@x","",' in text
    assert (
        "tblPayer.csv: 5 value(s) begin with =, +, -, @, a tab or a carriage return "
        "(first: PayerID 1, Phone '+2552127867576'), written as stored for import_legacy; "
        "a spreadsheet program may run them as formulas: open the file as text (README, "
        "'Export back')."
    ) in out
    assert "tblLocations.csv: " not in out.replace("tblLocations.csv: 53 rows", "")
    wipe()
    run_import(str(tmp_path / "out"))
    assert Payer.objects.get(name=formula).fax == "@x"
