"""FHIR Bulk Data NDJSON: export_fhir, import_fhir through the services, round trips."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from modules.location.demo import cambodia
from modules.location.models import Location
from modules.payer.models import Payer
from tests.api_helpers import validated

pytestmark = pytest.mark.django_db
PROVINCES = ("23", "24")  # Kep and Pailin: the two smallest, 130 locations


def export(tmp_path, name: str) -> dict[str, list[str]]:
    folder = tmp_path / name
    call_command("export_fhir", str(folder), stdout=io.StringIO())
    return {
        kind: (folder / f"{kind}.ndjson").read_text(encoding="utf-8").splitlines()
        for kind in ("Location", "Organization")
    }


def wipe() -> None:
    """Remove every payer and location (children before parents: PROTECT)."""
    Payer.objects.all().delete()
    for level in "VWDR":
        Location.objects.filter(type=level).delete()


def values(model) -> list[tuple]:
    fields = [
        f.attname
        for f in model._meta.concrete_fields
        if f.name not in {"id", "audit_user", "legacy", "parent", "location"}
    ]
    return sorted(model.objects.values_list(*fields))


def test_cambodia_round_trip_is_identical(tmp_path, make_user):
    """Cambodia's hierarchy (two provinces, to keep the suite fast; the whole country
    round-trips the same way, see README) and its payers: export, import into an empty
    database, export again: the same files, and the same rows."""
    source = cambodia.read_source()
    cambodia.load(
        source={
            level: [r for r in rows if r.code.startswith(PROVINCES)]
            for level, rows in source.items()
        }
    )
    call_command("generate_payers", "--count", "40", stdout=io.StringIO())
    for name in ("address", "phone", "fax", "email"):  # FHIR has no empty strings (README)
        Payer.objects.filter(**{name: ""}).update(**{name: None})
    first = export(tmp_path, "first")
    assert len(first["Location"]) == 130 and len(first["Organization"]) == 40
    for line in first["Location"][:5] + first["Organization"][:5]:
        validated(json.loads(line))
    before = (values(Location), values(Payer))
    parents = {
        (loc.code, loc.parent.code if loc.parent else None) for loc in Location.objects.all()
    }

    wipe()  # the import needs an empty database
    out = io.StringIO()
    call_command(
        "import_fhir",
        str(tmp_path / "first"),
        "--user",
        make_user("importer", superuser=True).username,
        stdout=out,
    )
    assert out.getvalue() == "Location: 130 created\nOrganization: 40 created\n"
    assert export(tmp_path, "second") == first
    assert (values(Location), values(Payer)) == before
    assert {
        (loc.code, loc.parent.code if loc.parent else None) for loc in Location.objects.all()
    } == parents


def test_an_import_is_all_or_nothing(tmp_path, make_user, make_chains):
    make_chains(1)
    files = export(tmp_path, "chain")
    wipe()
    lines = files["Location"]
    village = json.loads(lines[3])
    village["name"] = "v" * 51  # TOO_LONG
    broken = tmp_path / "broken.ndjson"
    broken.write_text(
        "\n".join([*lines[:3], json.dumps(village), "{not json", lines[0], "[" * 100_000]) + "\n",
        encoding="utf-8",
    )
    user = make_user("importer", superuser=True)
    with pytest.raises(CommandError) as failed:
        call_command("import_fhir", str(broken), "--user", user.username)
    message = str(failed.value)
    assert message.splitlines()[0] == "4 problem(s); nothing was imported."
    assert (
        "broken.ndjson:5: not JSON (Expecting property name enclosed in double quotes, column 2)"
        in message
    )
    assert (
        f"broken.ndjson:6: Location/{json.loads(lines[0])['id']} is also on broken.ndjson:1."
        in message
    )
    assert (
        "broken.ndjson:7: arrays and objects nested more deeply than the JSON parser can "
        "follow (about 1,000 levels)" in message
    )
    assert (
        "broken.ndjson:4: TOO_LONG: The name has 51 characters; at most 50 are allowed." in message
    )
    assert not Location.objects.exists()


def test_import_checks_the_users_permissions_and_existing_ids(tmp_path, make_user, make_chains):
    make_chains(1)
    export(tmp_path, "chain")
    admin = make_user("admin", superuser=True)
    with pytest.raises(CommandError) as existing:
        call_command("import_fhir", str(tmp_path / "chain"), "--user", admin.username)
    region = Location.objects.get(code="R0")
    assert f"Location/{region.uuid} already exists." in str(existing.value)
    wipe()
    viewer = make_user("viewer", "location.view_location")
    with pytest.raises(CommandError) as denied:
        call_command("import_fhir", str(tmp_path / "chain"), "--user", viewer.username)
    assert "Permission denied: you need 'location.add_location' to create locations." in str(
        denied.value
    )
    with pytest.raises(CommandError, match="No active user is named 'nobody'"):
        call_command("import_fhir", str(tmp_path / "chain"), "--user", "nobody")


def test_import_refuses_an_id_that_is_not_a_canonical_uuid(tmp_path, make_user, make_chains):
    # the id would have been re-spelled (lower case, hyphenated) on import: not kept
    make_chains(1, regions_only=True)
    region = json.loads(export(tmp_path, "chain")["Location"][0])
    wipe()
    spelled = region["id"].upper()
    folder = tmp_path / "spelled"
    folder.mkdir()
    (folder / "Location.ndjson").write_text(
        json.dumps({**region, "id": spelled}) + "\n", encoding="utf-8"
    )
    admin = make_user("admin", superuser=True)
    with pytest.raises(CommandError) as refused:
        call_command("import_fhir", str(folder), "--user", admin.username)
    assert str(refused.value).splitlines() == [
        "1 problem(s); nothing was imported.",
        f"Location.ndjson:1: the id {spelled!r} is not a uuid in canonical form "
        "(lower case, hyphenated).",
    ]
    assert not Location.objects.exists()


def test_import_refuses_an_element_it_would_lose(tmp_path, make_user, make_chains):
    # as the API's writes (backend/fhir/writable.py): refused, never dropped
    make_chains(1, regions_only=True)
    region = json.loads(export(tmp_path, "chain")["Location"][0])
    wipe()
    folder = tmp_path / "lossy"
    folder.mkdir()
    (folder / "Location.ndjson").write_text(
        json.dumps({**region, "status": "inactive"}) + "\n", encoding="utf-8"
    )
    admin = make_user("admin", superuser=True)
    with pytest.raises(CommandError) as refused:
        call_command("import_fhir", str(folder), "--user", admin.username)
    assert str(refused.value).splitlines() == [
        "1 problem(s); nothing was imported.",
        'Location.ndjson:1: Location.status "inactive" cannot be stored: this server takes '
        '"active" only; a location is active while current: DELETE it to make it inactive.',
    ]
    assert not Location.objects.exists()
