"""District rights on the other surfaces: the admin (querysets, saves, the users'
districts), FHIR, JSON:API and the subgraphs' ``_entities``.

The sample world (``Manifest.samples``): R1 > R1D1 (d1) > R1D1W1 > R1D1W1V1, R2 > R2D1
(d2); payers Ultha co-op at R1, Rapta fund at d1, Rajo fund at d2, National fund at no
location. The restricted user is attached to d1 and holds every model permission.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from modules.location.models import Location, UserDistrict
from tests.api_helpers import FHIR_JSON

pytestmark = pytest.mark.django_db

PERMISSIONS = (
    *(f"location.{p}_location" for p in ("view", "add", "change", "delete")),
    "location.manage_upper_levels",
    *(f"payer.{p}_payer" for p in ("view", "add", "change", "delete")),
    *(f"location.{p}_userdistrict" for p in ("view", "add", "change", "delete")),
)


@pytest.fixture
def restricted(world, make_user) -> Client:
    user = make_user("rapta", *PERMISSIONS, districts=[Location.objects.get(code="R1D1")])
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


# -- the admin -----------------------------------------------------------------------


def _listed(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return [getattr(row, "code", None) or row.name for row in response.context["cl"].result_list]


def test_the_admin_lists_only_readable_rows(restricted):
    assert _listed(restricted, "/admin/location/location/?validity=current") == [
        "R1",
        "R1D1",
        "R1D1W1",
        "R1D1W1V1",
    ]
    assert _listed(restricted, "/admin/payer/payer/") == ["National fund", "Rapta fund"]


def test_the_admin_shows_ancestors_read_only_and_hides_the_rest(restricted, world):
    r1 = Location.objects.get(uuid=world["r1"])
    page = restricted.get(f"/admin/location/location/{r1.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # viewed, not changed
    refused = restricted.post(f"/admin/location/location/{r1.pk}/change/", {"name": "X"})
    assert refused.status_code == 403
    d2 = Location.objects.get(uuid=world["d2"])
    hidden = restricted.get(f"/admin/location/location/{d2.pk}/change/")
    assert hidden.status_code == 302  # Django's "does not exist" redirect
    assert Location.objects.get(pk=r1.pk).name == "Ultha"


def test_the_admin_refuses_a_save_outside_the_districts(restricted, world):
    r1 = Location.objects.get(uuid=world["r1"])  # read (above the district), not changed
    form = {"code": "R1D9", "name": "Tarak", "type": "D", "parent": r1.pk}
    response = restricted.post("/admin/location/location/add/", form)
    assert response.status_code == 200
    assert b"District rights: you may place locations only in or below your districts" in (
        response.content
    )
    assert not Location.objects.filter(code="R1D9").exists()


def test_the_admin_answers_a_location_it_may_not_read_as_an_unknown_one(restricted, world):
    """The parent's id picks among the rows the user reads: d2 (another district) gets the
    form error of an id no row has, not the district rule naming it."""
    w1 = Location.objects.get(uuid=world["w1"])
    d2 = Location.objects.get(uuid=world["d2"])
    unknown = Location.objects.order_by("-pk").first().pk + 1000

    def parent_errors(parent_pk: int) -> list[str]:
        form = {"code": w1.code, "name": w1.name, "type": "W", "parent": parent_pk}
        response = restricted.post(f"/admin/location/location/{w1.pk}/change/", form)
        assert response.status_code == 200
        return response.context["adminform"].form.errors["parent"]

    assert (
        parent_errors(d2.pk)
        == parent_errors(unknown)
        == ["Select a valid choice. That choice is not one of the available choices."]
    )
    assert Location.objects.get(pk=w1.pk).parent_id != d2.pk


def test_only_the_global_right_manages_districts(restricted, make_user, world):
    assert restricted.get("/admin/location/userdistrict/").status_code == 403
    manager_user = make_user("manager", superuser=True)
    manager_user.is_staff = True
    manager_user.save()
    manager = Client()
    manager.force_login(manager_user)
    user = make_user("newcomer", "location.view_location", districts=[])
    d2 = Location.objects.get(uuid=world["d2"])
    response = manager.post(
        "/admin/location/userdistrict/add/",
        {
            "user": user.pk,
            "location": d2.pk,
            "validity_from_0": "2020-01-01",
            "validity_from_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response["Location"] == "/admin/location/userdistrict/"
    attachment = UserDistrict.objects.get(user=user)
    assert (attachment.location_id, attachment.validity_to) == (d2.pk, None)
    response = manager.post(
        f"/admin/location/userdistrict/{attachment.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    attachment.refresh_from_db()
    assert attachment.validity_to is not None  # ended, not removed


# -- FHIR --------------------------------------------------------------------------------


def test_fhir_reads_and_writes_follow_the_districts(restricted, world):
    bundle = restricted.get("/fhir/Location?_count=50").json()
    codes = sorted(
        i["value"]
        for e in bundle["entry"]
        for i in e["resource"]["identifier"]
        if i["type"]["coding"][0]["code"] == "Code"
    )
    assert codes == ["R1", "R1D1", "R1D1W1", "R1D1W1V1"]
    organizations = restricted.get("/fhir/Organization").json()
    assert sorted(e["resource"]["name"] for e in organizations["entry"]) == [
        "National fund",
        "Rapta fund",
    ]
    assert restricted.get(f"/fhir/Location/{world['d2']}").status_code == 404
    assert restricted.get(f"/fhir/Location/{world['r1']}").status_code == 200
    body = restricted.get(f"/fhir/Location/{world['r1']}").json()
    body["name"] = "Ultha Thom"
    refused = restricted.put(
        f"/fhir/Location/{world['r1']}", json.dumps(body), content_type=FHIR_JSON
    )
    assert refused.status_code == 403
    assert "District rights" in refused.json()["issue"][0]["diagnostics"]
    assert Location.objects.get(uuid=world["r1"]).name == "Ultha"


# -- JSON:API ----------------------------------------------------------------------------


def test_json_api_lists_only_readable_rows_and_relations(restricted, world):
    body = restricted.get("/api/locations?include=payers&page[size]=50").json()
    assert sorted(r["attributes"]["code"] for r in body["data"]) == [
        "R1",
        "R1D1",
        "R1D1W1",
        "R1D1W1V1",
    ]
    region = next(r for r in body["data"] if r["attributes"]["code"] == "R1")
    assert region["relationships"]["payers"]["data"] == []  # Ultha co-op is out of scope
    assert sorted(r["attributes"]["name"] for r in body["included"]) == ["Rapta fund"]
    assert restricted.get(f"/api/locations/{world['d2']}").status_code == 404


# -- subgraph _entities ------------------------------------------------------------------


def test_entities_outside_the_districts_are_not_found(restricted, world):
    query = "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Location { code } } }"
    reps = [{"__typename": "Location", "uuid": world[n]} for n in ("d1", "d2", "r1")]
    response = restricted.post(
        "/graphql/location",
        json.dumps({"query": query, "variables": {"r": reps}}),
        content_type="application/json",
    )
    body = response.json()
    assert body["data"]["_entities"] == [{"code": "R1D1"}, None, {"code": "R1"}]
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["_entities", 1], "NOT_FOUND")
    ]


# -- the legacy export ---------------------------------------------------------------------


def test_the_legacy_export_of_a_user_holds_what_the_user_reads(restricted, tmp_path):
    import csv
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command("export_legacy", str(tmp_path), format="csv", user="rapta", stdout=out)
    assert "tblLocations.csv: 4 rows" in out.getvalue()  # R1, R1D1, R1D1W1, R1D1W1V1
    with open(tmp_path / "tblPayer.csv", newline="") as rows:
        names = sorted(row["PayerName"] for row in csv.DictReader(rows))
    assert names == ["National fund", "Rapta fund"]
    call_command("export_legacy", str(tmp_path), format="csv", stdout=out)
    assert "tblLocations.csv: 7 rows" in out.getvalue()  # an operator's export: every row
    with pytest.raises(CommandError, match="No user is named 'nobody'"):
        call_command("export_legacy", str(tmp_path), user="nobody")
