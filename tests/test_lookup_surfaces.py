"""What each surface answers for one uuid of a current row, of a deleted row and of an
earlier version (a history row's own uuid): README "One uuid on the three surfaces".

GraphQL's ``location(uuid:)``, ``payer(uuid:)`` and ``node(id:)`` look up a row version
(current or not: the SDL says "current or history version"); FHIR and JSON:API serve
resources, whose id is the current row's uuid: a deleted resource is 410 Gone on both
(FHIR R4 http.html#read; JSON:API by choice, like FHIR), an earlier version's uuid names
no resource (404; FHIR reads versions at ``_history/<vid>``)."""

from __future__ import annotations

import pytest

from modules.location.models import Location
from modules.payer.models import Payer
from tests.api_helpers import FHIR_JSON

pytestmark = pytest.mark.django_db

# GraphQL field -> (GraphQL type, FHIR type, JSON:API type, the field _answers reads)
SURFACES = {
    "location": ("Location", "Location", "locations", "code"),
    "payer": ("Payer", "Organization", "payers", "name"),
}


def _answers(gql, admin, field: str, uuid) -> tuple:
    """For ``uuid``: GraphQL's (code or name, whether validityTo is set), node(id:)'s
    code or name, FHIR's status, JSON:API's status and its error's detail."""
    graphql_type, fhir_type, jsonapi_type, label = SURFACES[field]
    found = gql.data(f'{{ {field}(uuid: "{uuid}") {{ id {label} validityTo }} }}')[field]
    node = None
    if found is not None:
        query = f'{{ node(id: "{found["id"]}") {{ ... on {graphql_type} {{ {label} }} }} }}'
        node = gql.data(query)["node"][label]
    fhir = admin.get(f"/fhir/{fhir_type}/{uuid}", headers={"Accept": FHIR_JSON})
    jsonapi = admin.get(f"/api/{jsonapi_type}/{uuid}")
    detail = None if jsonapi.status_code == 200 else jsonapi.json()["errors"][0]["detail"]
    graphql = None if found is None else (found[label], found["validityTo"] is not None)
    return graphql, node, fhir.status_code, jsonapi.status_code, detail


def _write(gql, mutation: str, uuid, fields: str = "") -> None:
    """Run ``mutation`` (updateLocation, deletePayer …) on ``uuid`` with ``fields``."""
    kind = mutation[0].upper() + mutation[1:]
    document = (
        f"mutation($input: {kind}Input!) {{ {mutation}(input: $input) {{ errors {{ message }} }} }}"
    )
    data = gql.data(document, {"input": {"uuid": str(uuid), **(fields or {})}})
    assert data == {mutation: {"errors": []}}


@pytest.mark.parametrize("field", ["location", "payer"])
def test_current_deleted_and_earlier_version_on_every_surface(gql, admin, chain, field):
    _, _, jsonapi_type, _ = SURFACES[field]
    if field == "location":
        row, model, old, new = chain["R0DWV"], Location, "R0DWV", "R0DWV"
        _write(gql, "updateLocation", row.uuid, {"code": "R0DWV", "name": "Renamed"})
    else:
        row = Payer.objects.current().get(name="Payer of R0")
        model, old, new = Payer, "Payer of R0", "Renamed"
        _write(gql, "updatePayer", row.uuid, {"name": "Renamed"})
    earlier = model.objects.get(legacy=row)

    # current: every surface answers it
    assert _answers(gql, admin, field, row.uuid) == ((new, False), new, 200, 200, None)
    # an earlier version's own uuid: GraphQL looks up the version; no resource has that id
    assert _answers(gql, admin, field, earlier.uuid) == (
        (old, True),
        old,
        404,
        404,
        f"No {jsonapi_type} resource has id '{earlier.uuid}'.",
    )

    _write(gql, f"delete{model.__name__}", row.uuid)
    at = model.objects.get(pk=row.pk).validity_to.isoformat().replace("+00:00", "Z")
    # deleted: GraphQL answers it with its validityTo; FHIR and JSON:API 410 Gone
    assert _answers(gql, admin, field, row.uuid) == (
        (new, True),
        new,
        410,
        410,
        f"The {jsonapi_type} resource '{row.uuid}' was deleted at {at}.",
    )
    # so do its related endpoints; an earlier version stays a 404
    relationship = "payers" if field == "location" else "location"
    related = admin.get(f"/api/{jsonapi_type}/{row.uuid}/{relationship}")
    assert related.status_code == 410, related.content
    [error] = related.json()["errors"]
    assert (error["status"], error["code"]) == ("410", "gone")
    assert error["detail"] == f"The {jsonapi_type} resource '{row.uuid}' was deleted at {at}."
    assert admin.get(f"/api/{jsonapi_type}/{earlier.uuid}").status_code == 404


def test_a_deleted_row_outside_the_districts_is_unknown_not_gone(client_with, gql, chain):
    """District rights: a deleted row the user may not read answers as an unknown id."""
    region = Location.objects.create(code="R9", name="Region 9", type="R")
    district = Location.objects.create(code="R9D", name="District 9", type="D", parent=region)
    _write(gql, "deleteLocation", district.uuid)
    client = client_with("location.view_location", districts=[chain["R0D"]])
    assert client.get(f"/api/locations/{district.uuid}").status_code == 404
    assert client.get(f"/fhir/Location/{district.uuid}").status_code == 404
    mine = chain["R0DWV"]
    _write(gql, "deleteLocation", mine.uuid)
    assert client.get(f"/api/locations/{mine.uuid}").status_code == 410
    assert client.get(f"/fhir/Location/{mine.uuid}").status_code == 410
