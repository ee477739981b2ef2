"""JSON:API related-resource endpoints (``/api/<type>/<uuid>/<relationship>``) serve the
related resource as its own endpoint does: its own type, attributes and relationships,
the district rights applied to every relationship and include at any depth, and a
to-many one paginated as the list endpoint is.

The sample world (``Manifest.samples``): R1 > R1D1 (d1) > R1D1W1 > R1D1W1V1, R2 > R2D1
(d2); payers Ultha co-op at R1, Rapta fund at d1, Rajo fund at d2, National fund at no
location. The restricted user is attached to R1D1 only.
"""

from __future__ import annotations

import pytest
from django.test import Client

from modules.location.models import Location
from modules.payer.models import Payer

pytestmark = pytest.mark.django_db

VIEW_LOCATION, VIEW_PAYER = "location.view_location", "payer.view_payer"
OUT_OF_SCOPE = ("coop", "fund_d2")  # Ultha co-op at R1 (above d1), Rajo fund at d2


@pytest.fixture
def restricted(make_user, world):
    user = make_user(
        "d1-reader", VIEW_LOCATION, VIEW_PAYER, districts=[Location.objects.get(code="R1D1")]
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reader(make_user, world):
    client = Client()
    client.force_login(make_user("reader", VIEW_LOCATION, VIEW_PAYER))
    return client


def no_out_of_scope_payers_in(text: str, world) -> None:
    for name in ("Ultha co-op", "Rajo fund"):
        assert name not in text
    for key in OUT_OF_SCOPE:
        assert world[key] not in text


def test_the_district_user_cannot_read_the_region_payer_directly(restricted, world):
    assert restricted.get(f"/api/payers/{world['coop']}").status_code == 404
    body = restricted.get(f"/api/locations/{world['r1']}?include=payers").json()
    assert body["data"]["relationships"]["payers"]["data"] == []
    assert body["included"] == []


def test_a_related_to_one_resource_keeps_the_district_rights_of_its_includes(restricted, world):
    response = restricted.get(f"/api/locations/{world['d1']}/parent?include=payers")
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["type"] == "locations"
    assert body["data"]["id"] == world["r1"]
    payers = body["data"]["relationships"]["payers"]
    assert payers["data"] == []
    assert payers["meta"]["count"] == 0
    assert body["included"] == []
    no_out_of_scope_payers_in(response.content.decode(), world)


def test_an_include_two_deep_from_a_related_resource_keeps_the_district_rights(restricted, world):
    url = f"/api/payers/{world['fund_d1']}/location?include=parent.payers"
    response = restricted.get(url)
    assert response.status_code == 200
    body = response.json()
    assert (body["data"]["type"], body["data"]["id"]) == ("locations", world["d1"])
    own = body["data"]["relationships"]["payers"]
    assert (own["data"], own["meta"]["count"]) == ([{"type": "payers", "id": world["fund_d1"]}], 1)
    assert [(i["type"], i["id"]) for i in body["included"]] == [("locations", world["r1"])]
    region = body["included"][0]["relationships"]["payers"]
    assert (region["data"], region["meta"]["count"]) == ([], 0)
    no_out_of_scope_payers_in(response.content.decode(), world)


def test_a_related_to_many_endpoint_keeps_the_district_rights(restricted, world):
    response = restricted.get(f"/api/locations/{world['r1']}/payers?include=location.payers")
    assert response.status_code == 200
    assert response.json()["data"] == []
    no_out_of_scope_payers_in(response.content.decode(), world)
    body = restricted.get(f"/api/locations/{world['d1']}/payers?include=location.parent").json()
    assert [(p["type"], p["id"]) for p in body["data"]] == [("payers", world["fund_d1"])]
    assert sorted((i["type"], i["id"]) for i in body["included"]) == sorted(
        [("locations", world["d1"]), ("locations", world["r1"])]
    )
    no_out_of_scope_payers_in(str(body), world)


def test_related_resources_carry_their_own_type_and_fields(reader, world):
    payers = reader.get(f"/api/locations/{world['d1']}/payers").json()
    listed = reader.get(f"/api/payers?filter[location.uuid]={world['d1']}").json()
    assert [p["type"] for p in payers["data"]] == ["payers"]
    assert payers["data"][0]["attributes"]["name"] == "Rapta fund"
    assert payers["data"] == listed["data"]
    location = reader.get(f"/api/payers/{world['fund_d1']}/location").json()
    assert location["data"]["type"] == "locations"
    assert location["data"]["attributes"]["code"] == "R1D1"
    assert location["data"] == reader.get(f"/api/locations/{world['d1']}").json()["data"]
    parent = reader.get(f"/api/locations/{world['d1']}/parent").json()
    assert parent["data"] == reader.get(f"/api/locations/{world['r1']}").json()["data"]
    region = reader.get(f"/api/locations/{world['r1']}/parent").json()
    assert region["data"] is None


def test_a_related_to_many_endpoint_is_paginated_as_the_list(reader, world):
    district = Location.objects.get(code="R1D1")
    for n in range(3):
        Payer.objects.create(name=f"Extra {n}", type=Payer.Type.COOPERATIVE, location=district)
    url = f"/api/locations/{world['d1']}/payers"
    first = reader.get(f"{url}?page[size]=2").json()
    assert [p["attributes"]["name"] for p in first["data"]] == ["Extra 0", "Extra 1"]
    assert first["meta"]["pagination"] == {"page": 1, "pages": 2, "count": 4}
    assert first["links"]["next"].endswith("page%5Bnumber%5D=2&page%5Bsize%5D=2")
    second = reader.get(first["links"]["next"]).json()
    assert [p["attributes"]["name"] for p in second["data"]] == ["Extra 2", "Rapta fund"]
    assert second["meta"]["pagination"] == {"page": 2, "pages": 2, "count": 4}
    every = reader.get(f"{url}?page[size]=10").json()["data"]
    assert sorted(p["attributes"]["name"] for p in every) == [
        "Extra 0",
        "Extra 1",
        "Extra 2",
        "Rapta fund",
    ]
    assert reader.get(f"{url}?page[size]=1001").status_code == 400


@pytest.mark.parametrize("n", [0, 6])
def test_queries_of_a_related_endpoint_are_flat(reader, world, count_queries, n):
    """session + user + the user's permissions (2, the first request), the owner row,
    count, page (location and parent joined), payers of the included locations and
    parents; then session + user, owner, location (parent joined), payers of each."""
    district = Location.objects.get(code="R1D1")
    for i in range(n):
        Payer.objects.create(name=f"Extra {i}", type=Payer.Type.COOPERATIVE, location=district)
    url = f"/api/locations/{world['d1']}/payers?include=location.parent&page[size]=50"
    response, captured = count_queries(reader.get, url)
    assert len(response.json()["data"]) == n + 1
    assert len(captured) == 4 + 5, [q["sql"] for q in captured]
    url = f"/api/payers/{world['fund_d1']}/location?include=parent.payers"
    response, captured = count_queries(reader.get, url)
    assert len(response.json()["included"][0]["relationships"]["payers"]["data"]) == 1
    assert len(captured) == 2 + 4, [q["sql"] for q in captured]


@pytest.mark.parametrize(
    ("who", "path", "detail"),
    [
        (
            "reader",
            "/api/locations/{d1}/children",
            "locations has no relationship 'children' (relationships: parent, payers).",
        ),
        ("reader", "/api/locations/{unknown}", "No locations resource has id '{unknown}'."),
        ("reader", "/api/locations/{unknown}/payers", "No locations resource has id '{unknown}'."),
        ("reader", "/api/locations/{unknown}/parent", "No locations resource has id '{unknown}'."),
        ("reader", "/api/payers/{unknown}/location", "No payers resource has id '{unknown}'."),
        ("reader", "/api/locations/nope/payers", "No locations resource has id 'nope'."),
        ("reader", "/api/locations/nope/children", "No locations resource has id 'nope'."),
        ("reader", "/api/payers/nope", "No payers resource has id 'nope'."),
        # outside the user's districts: exactly as an unknown id
        ("restricted", "/api/payers/{coop}", "No payers resource has id '{coop}'."),
        ("restricted", "/api/locations/{r2}/payers", "No locations resource has id '{r2}'."),
    ],
)
def test_every_404_is_an_error_document_naming_what_was_not_found(
    reader, restricted, world, who, path, detail
):
    names = {**world, "unknown": "00000000-0000-0000-0000-00000000beef"}
    response = (reader if who == "reader" else restricted).get(path.format(**names))
    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/vnd.api+json"
    assert response.json() == {
        "errors": [{"detail": detail.format(**names), "status": "404", "code": "not_found"}]
    }


@pytest.mark.parametrize(
    ("who", "url", "key"),
    [
        ("reader", "/api/payers?filter[location.uuid]={unknown}", "{unknown}"),
        ("reader", "/api/locations?filter[parent.uuid]={unknown}", "{unknown}"),
        ("reader", "/api/locations?filter[parent.uuid]={R1}", "{R1}"),  # spelled otherwise
        ("reader", "/api/locations/{r1}/payers?filter[location.uuid]={unknown}", "{unknown}"),
        # outside the user's districts: exactly as an unknown uuid
        ("restricted", "/api/payers?filter[location.uuid]={d2}", "{d2}"),
        ("restricted", "/api/locations?filter[parent.uuid]={r2}", "{r2}"),
    ],
)
def test_a_filter_naming_no_related_row_is_a_400_naming_it(
    reader, restricted, world, who, url, key
):
    # GraphQL answers filter.location / filter.parent so (backend.rights.require_known)
    names = {**world, "unknown": "00000000-0000-0000-0000-00000000beef", "R1": world["r1"].upper()}
    response = (reader if who == "reader" else restricted).get(url.format(**names))
    assert response.status_code == 400, response.content
    parameter = url.split("?")[1].split("=")[0]
    assert response.json() == {
        "errors": [
            {
                "detail": f"{parameter}: no location has uuid {key.format(**names)}.",
                "status": "400",
                "code": "invalid",
                "source": {"parameter": parameter},
            }
        ]
    }


def test_a_filter_naming_a_readable_row_still_filters(restricted, world):
    body = restricted.get(f"/api/payers?filter[location.uuid]={world['d1']}").json()
    assert [payer["attributes"]["name"] for payer in body["data"]] == ["Rapta fund"]
