"""Every row a REST surface returns needs its type's view permission: the searched or
listed type, each type an ``_include``/``_revinclude`` (FHIR) or ``include`` (JSON:API)
adds, and the type of a JSON:API related-resource endpoint; refused as a direct request
of that type is (403), naming the permission. GraphQL answers FORBIDDEN already.

The sample world (``Manifest.samples``): R1 > R1D1 (d1) > R1D1W1 > R1D1W1V1, R2 > R2D1
(d2); payers Ultha co-op at R1, Rapta fund at d1, Rajo fund at d2, National fund at no
location.
"""

from __future__ import annotations

import pytest

from modules.location.models import Location
from tests.api_helpers import validated

pytestmark = pytest.mark.django_db

VIEW_LOCATION, VIEW_PAYER = "location.view_location", "payer.view_payer"
PAYER_NAMES = ("Ultha co-op", "Rapta fund", "Rajo fund", "National fund")
LOCATION_CODES = ("R1D1", "R2D1")  # the districts, whose codes appear nowhere else


def refused(response, permission: str) -> str:
    """The body of a 403 response, checked to name ``permission``."""
    assert response.status_code == 403, response.content
    text = response.content.decode()
    assert f"you need '{permission}'" in text
    return text


def no_payers_in(text: str, world) -> None:
    for name in PAYER_NAMES:
        assert name not in text
    for key in ("coop", "fund_d1", "fund_d2", "national"):
        assert world[key] not in text


def no_locations_in(text: str, world) -> None:
    for code in LOCATION_CODES:
        assert code not in text
    for key in ("r1", "d1", "w1", "v1", "r2", "d2"):
        assert world[key] not in text


# -- FHIR --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/fhir/Location?_revinclude=Organization:location",
        "/fhir/Location?_count=50&_include=Location:partof&_revinclude=Organization:location",
    ],
)
def test_fhir_revinclude_of_organizations_needs_the_payer_permission(client_with, world, url):
    response = client_with(VIEW_LOCATION).get(url)
    text = refused(response, VIEW_PAYER)
    issue = validated(response.json())["issue"][0]
    assert issue["code"] == "forbidden"
    assert issue["diagnostics"] == (
        f"Permission denied: you need '{VIEW_PAYER}' to include Organization resources "
        "(_revinclude=Organization:location)."
    )
    no_payers_in(text, world)


@pytest.mark.parametrize("parameter", ["_include", "_include:iterate"])
def test_fhir_include_of_locations_needs_the_location_permission(client_with, world, parameter):
    response = client_with(VIEW_PAYER).get(f"/fhir/Organization?{parameter}=Organization:location")
    text = refused(response, VIEW_LOCATION)
    assert response.json()["issue"][0]["diagnostics"] == (
        f"Permission denied: you need '{VIEW_LOCATION}' to include Location resources "
        f"({parameter}=Organization:location)."
    )
    no_locations_in(text, world)


def test_fhir_the_searched_type_is_checked_first(client_with, world):
    viewer = client_with(VIEW_LOCATION)
    direct = viewer.get("/fhir/Organization").json()
    included = viewer.get("/fhir/Organization?_include=Organization:location")
    refused(included, VIEW_PAYER)
    assert included.json() == direct
    assert direct["issue"][0]["diagnostics"] == f"Permission denied: you need '{VIEW_PAYER}'."


def test_fhir_includes_with_both_permissions_keep_the_district_rights(client_with, world):
    both = client_with(VIEW_LOCATION, VIEW_PAYER, districts=[Location.objects.get(code="R1D1")])
    bundle = validated(both.get("/fhir/Location?_revinclude=Organization:location").json())
    included = [e["resource"]["name"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert included == ["Rapta fund"]  # Ultha co-op (at R1, above the district) is out of scope
    bundle = validated(both.get("/fhir/Organization?_include=Organization:location").json())
    assert [(e["resource"]["name"], e["search"]["mode"]) for e in bundle["entry"]] == [
        ("National fund", "match"),
        ("Rapta fund", "match"),
        ("Rapta", "include"),
    ]


# -- JSON:API ----------------------------------------------------------------------------


def test_json_api_related_payers_need_the_payer_permission(client_with, world):
    viewer = client_with(VIEW_LOCATION)
    response = viewer.get(f"/api/locations/{world['d1']}/payers")
    no_payers_in(refused(response, VIEW_PAYER), world)
    assert response.json() == viewer.get("/api/payers").json()  # as the direct request
    assert viewer.get(f"/api/locations/{world['d1']}/parent").status_code == 200
    unknown = viewer.get(f"/api/locations/{world['d1']}/colour")
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["status"] == "404"


def test_json_api_related_location_needs_the_location_permission(client_with, world):
    response = client_with(VIEW_PAYER).get(f"/api/payers/{world['fund_d1']}/location")
    no_locations_in(refused(response, VIEW_LOCATION), world)


@pytest.mark.parametrize(
    ("permission", "url", "missing"),
    [
        (VIEW_PAYER, "/api/payers?include=location", VIEW_LOCATION),
        (VIEW_LOCATION, "/api/locations?include=payers", VIEW_PAYER),
        (VIEW_LOCATION, "/api/locations?include=parent.payers", VIEW_PAYER),
        (VIEW_LOCATION, "/api/locations/{d1}?include=payers", VIEW_PAYER),
        (VIEW_LOCATION, "/api/locations/{d1}/parent?include=payers", VIEW_PAYER),
    ],
)
def test_json_api_include_needs_the_included_types_permission(
    client_with, world, permission, url, missing
):
    response = client_with(permission).get(url.format(**world))
    text = refused(response, missing)
    assert response.json()["errors"] == [
        {
            "detail": f"Permission denied: you need '{missing}'.",
            "status": "403",
            "source": {"parameter": "include"},
            "code": "permission_denied",
        }
    ]
    (no_locations_in if missing == VIEW_LOCATION else no_payers_in)(text, world)


def test_json_api_relationships_to_a_type_not_viewable_are_left_out(client_with, world):
    payers = client_with(VIEW_PAYER).get("/api/payers").json()
    assert sorted(p["attributes"]["name"] for p in payers["data"]) == sorted(PAYER_NAMES)
    assert all("location" not in p.get("relationships", {}) for p in payers["data"])
    no_locations_in(str(payers), world)
    locations = client_with(VIEW_LOCATION).get("/api/locations").json()
    assert all("payers" not in r["relationships"] for r in locations["data"])


def test_json_api_includes_with_both_permissions_keep_the_district_rights(client_with, world):
    both = client_with(VIEW_LOCATION, VIEW_PAYER, districts=[Location.objects.get(code="R1D1")])
    body = both.get("/api/payers?include=location").json()
    assert sorted(p["attributes"]["name"] for p in body["data"]) == ["National fund", "Rapta fund"]
    assert [i["attributes"]["code"] for i in body["included"]] == ["R1D1"]
    assert both.get(f"/api/payers/{world['fund_d2']}/location").status_code == 404
    related = both.get(f"/api/locations/{world['r1']}/payers").json()
    assert related["data"] == []  # Ultha co-op, at R1 above the district, is out of scope


# -- every include and relationship the active modules declare ---------------------------


def _fhir_cases() -> list[tuple[str, str, str, str]]:
    """(searched type, parameter, include, the permission the added type needs), for
    every include of the active modules adding a type of another view permission."""
    from backend.fhir import fhir_resources

    served = fhir_resources()
    cases = []
    for resource in served.values():
        for include in resource.includes:
            for searched, parameter, added in (
                (include.source, "_include", include.target),
                (include.target, "_revinclude", include.source),
            ):
                if searched in served and added in served:
                    needed = served[added].view_permission
                    if needed != served[searched].view_permission:
                        cases.append((searched, parameter, include.key, needed))
    return cases


def _json_api_cases() -> list[tuple[str, str, str]]:
    """(type, relationship, the permission the related type needs) of every
    relationship to a type of another view permission."""
    from backend.jsonapi import assemble

    built = assemble()
    return [
        (owner, name, built.resources[relationship.type].view_permission)
        for owner, named in built.relationships.items()
        for name, relationship in named.items()
        if built.resources[relationship.type].view_permission
        != built.resources[owner].view_permission
    ]


@pytest.mark.parametrize(("searched", "parameter", "include", "needed"), _fhir_cases())
def test_every_fhir_include_needs_the_added_types_permission(
    client_with, world, searched, parameter, include, needed
):
    from backend.fhir import fhir_resources

    own = fhir_resources()[searched].view_permission
    response = client_with(own).get(f"/fhir/{searched}?{parameter}={include}")
    refused(response, needed)
    assert f"({parameter}={include})" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(("owner", "name", "needed"), _json_api_cases())
def test_every_json_api_relationship_needs_the_related_types_permission(
    client_with, world, owner, name, needed
):
    from django.apps import apps

    from backend.jsonapi import assemble

    resource = assemble().resources[owner]
    client = client_with(resource.view_permission)
    included = client.get(f"/api/{owner}?include={name}")
    refused(included, needed)
    assert included.json()["errors"][0]["source"] == {"parameter": "include"}
    row = apps.get_model(resource.model)._default_manager.current().first()
    refused(client.get(f"/api/{owner}/{row.uuid}/{name}"), needed)
    listed = client.get(f"/api/{owner}").json()["data"]
    assert listed and all(name not in r.get("relationships", {}) for r in listed)
