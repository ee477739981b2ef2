"""JSON:API at /api/: documents, filter, sort, page, include, sparse fieldsets, related
links, permissions, errors, OpenAPI, and flat query counts."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from modules.location.models import Location
from modules.payer.models import Payer
from tests.api_helpers import JSONAPI, bearer_token, get_document

pytestmark = pytest.mark.django_db


def get(client: Client, url: str, status: int = 200) -> dict:
    return get_document(client, url, JSONAPI, status)


def test_a_location_document(admin, make_chains):
    make_chains(1)
    village = Location.objects.get(code="R0DWV")
    body = get(admin, f"/api/locations/{village.uuid}")
    base = "http://testserver/api/locations"
    assert body == {
        "data": {
            "type": "locations",
            "id": str(village.uuid),
            "attributes": {
                "code": "R0DWV",
                "name": "Village 0",
                "locationType": "V",
                "malePopulation": None,
                "femalePopulation": None,
                "otherPopulation": None,
                "families": None,
                "validityFrom": village.validity_from.astimezone(datetime.UTC)
                .isoformat()
                .replace("+00:00", "Z"),
            },
            "relationships": {
                "parent": {
                    "links": {"related": f"{base}/{village.uuid}/parent"},
                    "data": {"type": "locations", "id": str(village.parent.uuid)},
                },
                "payers": {
                    "meta": {"count": 0},
                    "data": [],
                    "links": {"related": f"{base}/{village.uuid}/payers"},
                },
            },
        }
    }


def test_filter_sort_page_include_and_fields(admin, make_chains):
    make_chains(3)
    page = get(
        admin,
        "/api/locations?filter[type]=D&sort=-code&page[size]=2&include=parent,payers"
        "&fields[locations]=code,parent,payers&fields[payers]=name",
    )
    assert [d["attributes"] for d in page["data"]] == [{"code": "R2D"}, {"code": "R1D"}]
    assert page["meta"]["pagination"] == {"page": 1, "pages": 2, "count": 3}
    assert page["links"]["next"].endswith("page%5Bnumber%5D=2&page%5Bsize%5D=2&sort=-code")
    included = sorted(
        (i["type"], i["attributes"].get("code") or i["attributes"]["name"])
        for i in page["included"]
    )
    assert included == [
        ("locations", "R1"),
        ("locations", "R2"),
        ("payers", "Payer of R1D"),
        ("payers", "Payer of R2D"),
    ]  # fmt: skip; history payers are not listed
    second = get(admin, page["links"]["next"].removeprefix("http://testserver"))
    assert [d["attributes"]["code"] for d in second["data"]] == ["R0D"]

    def codes(query: str) -> list[str]:
        return [d["attributes"]["code"] for d in get(admin, f"/api/locations?{query}")["data"]]

    assert codes("filter[code.startswith]=R1") == ["R1", "R1D", "R1DW", "R1DWV"]
    assert codes("filter[name.icontains]=WARD 2") == ["R2DW"]
    assert codes("filter[type.in]=R,V&sort=name") == ["R0", "R1", "R2", "R0DWV", "R1DWV", "R2DWV"]
    region = Location.objects.get(code="R2")
    assert codes(f"filter[parent.uuid]={region.uuid}") == ["R2D"]
    assert codes("filter[search]=village 1") == ["R1DWV"]
    payers = get(admin, f"/api/payers?filter[location.uuid]={region.uuid}&include=location")
    # at the location or below it, as GraphQL's filter.location and FHIR's location
    assert [p["attributes"]["name"] for p in payers["data"]] == ["Payer of R2", "Payer of R2D"]
    assert sorted(i["id"] for i in payers["included"]) == sorted(
        str(location.uuid) for location in Location.objects.filter(code__in=["R2", "R2D"])
    )


def test_every_field_can_be_asked_for_alone(admin, make_chains):
    # sparse fieldsets by the names the documents show: camelCase ones too (payerType,
    # validityFrom, femalePopulation were dropped), on the primary data and the included
    make_chains(1)
    Payer.objects.filter(name="Payer of R0D").update(
        email="p@x.org", phone="012", fax="013", address="Street 1"
    )
    district = Location.objects.get(code="R0D")
    district.female_population = 7
    district.save()
    for type_, url, in_included in [
        ("locations", f"/api/locations/{district.uuid}", "/api/payers?include=location"),
        ("payers", "/api/payers?filter[name]=Payer of R0D", "/api/locations?include=payers"),
    ]:
        full = get(admin, url)["data"]
        full = full[0] if isinstance(full, list) else full
        attributes, relationships = full["attributes"], full["relationships"]
        assert len(attributes) == {"locations": 8, "payers": 7}[type_]
        for name in [*attributes, *relationships]:
            joined = "&" if "?" in url else "?"
            sparse = get(admin, f"{url}{joined}fields[{type_}]={name}")["data"]
            sparse = sparse[0] if isinstance(sparse, list) else sparse
            if name in attributes:
                assert sparse["attributes"] == {name: attributes[name]}, name
                assert "relationships" not in sparse
            else:
                assert sparse["relationships"] == {name: relationships[name]}, name
                assert "attributes" not in sparse
            included = get(admin, f"{in_included}&fields[{type_}]={name}")["included"]
            assert included and all(
                set(i.get("attributes", {})) | set(i.get("relationships", {})) == {name}
                for i in included
            ), name
    both = get(
        admin, f"/api/locations/{district.uuid}?fields[locations]=validityFrom,femalePopulation"
    )
    assert set(both["data"]["attributes"]) == {"validityFrom", "femalePopulation"}
    assert both["data"]["attributes"]["femalePopulation"] == 7
    # a name the documents do not show stays refused, its Python spelling included
    for unknown in ("payer_type", "colour"):
        refused = get(admin, f"/api/payers?fields[payers]={unknown}", 400)
        assert f"payers has no field '{unknown}'" in refused["errors"][0]["detail"]


def test_related_links(admin, make_chains):
    make_chains(1)
    district = Location.objects.get(code="R0D")
    parent = get(admin, f"/api/locations/{district.uuid}/parent")
    assert parent["data"]["attributes"]["code"] == "R0"
    payers = get(admin, f"/api/locations/{district.uuid}/payers")
    assert [p["attributes"]["name"] for p in payers["data"]] == ["Payer of R0D"]


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/api/locations?colour=red", 400, "colour is not a query parameter here"),
        ("/api/locations?sort=colour", 400, "locations sorts by code, name, type"),
        ("/api/locations?include=colour", 400, "locations has no relationship 'colour'"),
        ("/api/locations?page[size]=1001", 400, "above the maximum page size 1000"),
        ("/api/locations?page[size]=0", 400, "is not a positive whole number"),
        (
            "/api/locations/00000000-0000-0000-0000-000000000000",
            404,
            "No locations resource has id '00000000-0000-0000-0000-000000000000'.",
        ),
        ("/api/locations?filter[colour]=red", 400, "locations has no filter 'colour'"),
        ("/api/locations?filter[type]=Q", 400, "Select a valid choice. Q is not one"),
        ("/api/locations?filter[type.in]=R,Q", 400, "Select a valid choice. Q is not one"),
        ("/api/payers?filter[type.in]=Q", 400, "Select a valid choice. Q is not one"),
    ],
)
def test_errors_are_json_api_error_objects(admin, url, status, detail):
    body = get(admin, url, status)
    assert detail in body["errors"][0]["detail"]
    assert body["errors"][0]["status"] == str(status)


@pytest.mark.parametrize(
    ("query", "count", "prev"),
    [
        ("filter[type]=D&page[size]=2&page[number]=3", 3, 2),
        ("filter[type]=D&page[size]=2&page[number]=9", 3, 2),
        ("filter[code]=none&page[number]=2", 0, 1),  # an empty collection has 1 page
        ("filter[name]=zzzz&page[number]=5", 0, 1),
    ],
)
def test_a_page_past_the_last_one_is_an_empty_page(admin, make_chains, query, count, prev):
    """JSON:API 1.1 "Fetching Resources": a collection is 200 with ``data: []`` when
    empty (404 is for a single resource); the links lead back ("Pagination"): ``prev`` is
    the last page, page 1 (empty) when the collection is empty."""
    make_chains(3)
    body = get(admin, f"/api/locations?{query}")
    assert body["data"] == []
    number = int(query.rsplit("=", 1)[1])
    size = 2 if "page[size]" in query else 10
    pages = max(1, -(-count // size))
    assert body["meta"]["pagination"] == {"page": number, "pages": pages, "count": count}
    links = body["links"]
    assert links["next"] is None
    assert "page%5Bnumber%5D=1" in links["first"]
    assert f"page%5Bnumber%5D={pages}" in links["last"]
    assert parse_qs(urlsplit(links["prev"]).query)["page[number]"] == [str(prev)]


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("application/vnd.api+json", 200),
        ('application/vnd.api+json; profile="https://example.org/p"', 200),
        ('application/vnd.api+json; ext=""', 200),
        ("*/*", 200),
        ("application/vnd.api+json; ext=bogus, application/vnd.api+json", 200),
        ("application/vnd.api+json; ext=bogus", 406),
        ('application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"', 406),
        ("application/vnd.api+json; charset=utf-8", 406),
        ("application/vnd.api+json; ext=a, application/vnd.api+json; version=2", 406),
    ],
)
def test_accept_by_json_api_rules(admin, accept, status):
    """JSON:API 1.1, content negotiation: 406 when every instance of the media type in
    Accept has a parameter besides ext/profile or an extension (none is supported)."""
    response = admin.get("/api/locations", headers={"Accept": accept})
    assert response.status_code == status, response.content
    body = response.json()
    if status == 406:
        (error,) = body["errors"]
        assert error["status"] == "406"
        assert error["detail"] == REFUSED_PARAMETERS[accept]
    else:
        assert body["data"] == []


_SEND = "Send Accept: application/vnd.api+json without"
_NO_PARAMETER = "JSON:API allows no parameter on its media type but ext and profile, so"
#: The 406 of each refused Accept: which parameter, why, and what to send (was "Accept:
#: application/vnd.api+json only with charset=utf-8; …", which read as a requirement).
REFUSED_PARAMETERS = {
    "application/vnd.api+json; ext=bogus": "Accept: application/vnd.api+json with ext=bogus "
    f"is not acceptable: this server supports no extension (ext=bogus). {_SEND} it (a "
    "profile may stay).",
    'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"': "Accept: "
    "application/vnd.api+json with ext=https://jsonapi.org/ext/atomic is not acceptable: "
    "this server supports no extension (ext=https://jsonapi.org/ext/atomic). "
    f"{_SEND} it (a profile may stay).",
    "application/vnd.api+json; charset=utf-8": "Accept: application/vnd.api+json with "
    f"charset=utf-8 is not acceptable: {_NO_PARAMETER} charset=utf-8 is not allowed. "
    f"{_SEND} it (a profile may stay).",
    "application/vnd.api+json; ext=a, application/vnd.api+json; version=2": "Accept: "
    "application/vnd.api+json with ext=a, version=2 is not acceptable: "
    f"{_NO_PARAMETER} version=2 is not allowed; this server supports no extension (ext=a). "
    f"{_SEND} them (a profile may stay).",
}


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("application/json", 200),
        ("text/html;q=0.9, application/json;q=0.1", 200),
        ("application/vnd.api+json;q=0, application/json", 406),  # refused by name
        ("text/html", 406),
        ("application/json;q=0, text/html", 406),
    ],
)
def test_a_client_asking_for_plain_json_gets_the_document(admin, make_chains, accept, status):
    """JSON:API 1.1 asks a 406 only for its own media type's parameters; RFC 9110
    §12.5.1 lets the server answer a type Accept does not list: a client asking for
    application/json is answered the document, in the JSON:API media type (JSON:API 1.1:
    every response document has it)."""
    make_chains(1)
    response = admin.get("/api/locations?filter[code]=R0", headers={"Accept": accept})
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/vnd.api+json"
    body = response.json()
    if status == 200:
        assert [row["attributes"]["code"] for row in body["data"]] == ["R0"]
    elif "q=0, application/json" in accept:
        assert body["errors"][0]["detail"].startswith(f"Accept: {accept} weighs ")
    else:
        assert body["errors"][0]["detail"] == (
            f"Accept: {accept}: this server answers application/vnd.api+json (also to a "
            "client asking for application/json)."
        )


def test_permissions_as_for_graphql(make_user, make_chains):
    make_chains(1)
    assert get(Client(), "/api/locations", 401)["errors"][0]["detail"].startswith(
        "Authentication required"
    )
    viewer = Client()
    viewer.force_login(make_user("viewer", "location.view_location"))
    body = get(viewer, "/api/locations")
    assert "payers" not in body["data"][0]["relationships"]  # needs payer.view_payer
    assert get(viewer, "/api/locations?include=payers", 403)["errors"][0]["detail"] == (
        "Permission denied: you need 'payer.view_payer'."
    )
    assert get(viewer, "/api/locations?include=parent.payers", 403)["errors"][0]["detail"] == (
        "Permission denied: you need 'payer.view_payer'."
    )  # at any depth of the path
    assert get(viewer, "/api/payers", 403)["errors"] == [
        {
            "detail": "Permission denied: you need 'payer.view_payer'.",
            "status": "403",
            "code": "permission_denied",
        }
    ]  # no source.pointer: nothing in a request document caused it

    bearer_token(make_user("owner", "location.view_location"), "write", "write-only")
    refused = Client().get("/api/locations", headers={"Authorization": "Bearer write-only"})
    assert refused.status_code == 403
    assert "scope does not include 'read'" in refused.json()["errors"][0]["detail"]


def test_the_surface_is_read_only(admin, make_chains):
    make_chains(1)
    village = Location.objects.get(code="R0DWV")
    response = admin.delete(f"/api/locations/{village.uuid}")
    assert response.status_code == 405
    assert Location.objects.get(pk=village.pk).validity_to is None


@pytest.mark.parametrize("n", [1, 8])
def test_queries_per_page_are_flat(admin, make_chains, count_queries, n):
    """session + user, count, page (parents joined), payers of the page, payers of the
    included parents: whatever the page size."""
    make_chains(n)
    Payer.objects.all().update(validity_to=None)
    url = "/api/locations?filter[type]=D&include=parent,payers"
    response, captured = count_queries(admin.get, url)
    assert len(response.json()["data"]) == n
    assert len(captured) == 2 + 4, [q["sql"] for q in captured]


def test_openapi_description(admin):
    body = admin.get("/api/openapi").json()
    assert body["openapi"].startswith("3.")
    assert {
        "/api/locations",
        "/api/locations/{uuid}",
        "/api/locations/{uuid}/payers",
        "/api/payers",
        "/api/payers/{uuid}/location",
    } <= set(body["paths"])
    names = {p.get("name") for p in body["paths"]["/api/locations"]["get"]["parameters"]}
    assert {"filter[code.startswith]", "filter[search]", "sort", "page[size]"} <= names
