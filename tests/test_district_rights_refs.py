"""District rights on references: a row of a model without placement (or placed
elsewhere) that refers to a row of a placed model never shows that row to a user who
may not read it.

The case: a module whose model hangs off another module's placed rows and declares no
placement (the tester's ``PayerNote`` -> ``Payer``). Here the payer module plays it:
its placement is taken away (its payers are then read by everyone), while its payers
still refer to locations, placed in the tree. A user attached to district d1 (R1D1)
reads the payer Rajo fund, placed at d2 (R2D1, another region), but never d2 itself:
``Payer.location`` is null there on every path (the general executor, the SQL
compiler, a subgraph, ``node``, history, JSON:API relationships and includes, FHIR
references), as ``location(uuid:)`` of d2 is, and costs no query more.
"""

from __future__ import annotations

import dataclasses

import pytest
import strawberry
import strawberry_django
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from backend import references, web
from backend.graphql.federation import build_subgraph
from backend.graphql.schema import build_schema
from backend.registry import ref
from conftest import VIEWER, GraphQLClient, fake_module
from tests import samples
from tests.test_compiler import both_paths, compiled, postgresql_only

pytestmark = pytest.mark.django_db

#: Filled by the fixture ``unplaced_payers`` (this module is then the URL conf).
urlpatterns: list = []

PAYERS = "{ payers { edges { node { name location { code } } } } }"
#: What the user of d1 reads of every payer's location (Rajo fund's is at d2).
LOCATIONS = {
    "National fund": None,
    "Rajo fund": None,
    "Rapta fund": {"code": "R1D1"},
    "Ultha co-op": {"code": "R1"},
}


@pytest.fixture
def unplaced_payers(monkeypatch, settings):
    """The payer module without its placement, served by schemas built for it."""
    config = apps.get_app_config("payer")
    monkeypatch.setattr(config, "_manifest", dataclasses.replace(config.manifest, placement={}))
    urlpatterns[:] = [
        path("fhir/", include("backend.fhir.urls")),
        path("api/", include("backend.jsonapi.urls")),
        path("graphql", web.GraphQLView.as_view(schema=build_schema())),
        path("graphql/payer", web.GraphQLView.as_view(schema=build_subgraph("payer"))),
    ]
    settings.ROOT_URLCONF = __name__
    yield
    monkeypatch.undo()
    urlpatterns.clear()
    build_schema()  # the composed definitions of the real manifests again


@pytest.fixture
def world():
    samples.create_world()


@pytest.fixture
def district_user(make_user):
    from modules.location.models import Location

    d1 = Location.objects.get(pk=samples.ids("d1")[0])
    return make_user("d1_user", *VIEWER, districts=[d1])


@pytest.fixture
def gql(client, district_user) -> GraphQLClient:
    client.force_login(district_user)
    return GraphQLClient(client)


def _locations(data: dict) -> dict:
    return {edge["node"]["name"]: edge["node"]["location"] for edge in data["edges"]}


def test_the_payers_of_other_districts_are_read_without_their_location(unplaced_payers, world, gql):
    data = gql.data(
        samples.fill(
            "{ payers { edges { node { name location { code } } } } "
            'payer(uuid: "{fund_d2}") { name location { code uuid } } '
            'node(id: "{fund_d2_id}") { ... on Payer { name location { code } } } '
            'd2: location(uuid: "{d2}") { code } '
            'coop: payer(uuid: "{coop}") { history { name location { code } } } '
            'r1: location(uuid: "{r1}") { payers { name location { code } } } }'
        )
    )
    assert _locations(data["payers"]) == LOCATIONS
    assert data["payer"] == {"name": "Rajo fund", "location": None}
    assert data["node"] == {"name": "Rajo fund", "location": None}
    assert data["d2"] is None
    assert data["coop"] == {"history": [{"name": "Old co-op", "location": {"code": "R1"}}]}
    assert data["r1"] == {"payers": [{"name": "Ultha co-op", "location": {"code": "R1"}}]}


def test_a_reference_costs_no_query_more(unplaced_payers, world, gql, make_user, client):
    with CaptureQueriesContext(connection) as restricted:
        assert _locations(gql.data(PAYERS)["payers"]) == LOCATIONS
    client.force_login(make_user("everywhere", *VIEWER))  # the global right
    with CaptureQueriesContext(connection) as unrestricted:
        locations = _locations(GraphQLClient(client).data(PAYERS)["payers"])
    assert locations["Rajo fund"] == {"code": "R2D1"}
    assert len(restricted) == len(unrestricted)


@postgresql_only
def test_the_compiled_path_answers_null_too(unplaced_payers, world, gql):
    query = samples.fill(
        "{ payers { edges { node { name location { code parent { code } } } } } "
        'payer(uuid: "{fund_d2}") { name location { code } } }'
    )
    answer, queries, general = both_paths(gql, query)
    assert compiled(queries)
    assert answer == general
    assert answer["data"]["payer"] == {"name": "Rajo fund", "location": None}
    assert _locations(answer["data"]["payers"])["Rajo fund"] is None


def test_the_subgraph_gives_no_reference_to_the_hidden_location(unplaced_payers, world, gql):
    response = gql.client.post(
        "/graphql/payer",
        data={"query": "{ payers { edges { node { name location { uuid } } } } }"},
        content_type="application/json",
    )
    found = _locations(response.json()["data"]["payers"])
    assert found["Rajo fund"] is None
    assert found["Rapta fund"] == {"uuid": str(samples.ids("d1")[1])}


def test_json_api_leaves_out_the_hidden_location(unplaced_payers, world, gql):
    fund_d2, d1 = samples.ids("fund_d2")[1], samples.ids("d1")[1]
    document = gql.client.get(
        "/api/payers?include=location", headers={"accept": "application/vnd.api+json"}
    ).json()
    related = {
        row["attributes"]["name"]: row["relationships"]["location"]["data"]
        for row in document["data"]
    }
    assert related["Rajo fund"] is None
    assert related["Rapta fund"] == {"type": "locations", "id": str(d1)}
    assert {row["id"] for row in document["included"]} == {
        str(samples.ids(name)[1]) for name in ("r1", "d1")
    }
    one = gql.client.get(
        f"/api/payers/{fund_d2}?include=location", headers={"accept": "application/vnd.api+json"}
    ).json()
    assert one["data"]["relationships"]["location"]["data"] is None
    assert "included" not in one or one["included"] == []


def test_fhir_leaves_out_the_reference_to_the_hidden_location(unplaced_payers, world, gql):
    fund_d2 = samples.ids("fund_d2")[1]
    read = gql.client.get(f"/fhir/Organization/{fund_d2}").json()
    assert read["name"] == "Rajo fund"
    assert "extension" not in read
    bundle = gql.client.get(
        f"/fhir/Organization?_id={fund_d2}&_include=Organization:location"
    ).json()
    assert [entry["resource"]["resourceType"] for entry in bundle["entry"]] == ["Organization"]
    assert "extension" not in bundle["entry"][0]["resource"]


@strawberry_django.type(apps.get_model("location", "Location"), name="Rogue", description="Rogue.")
class _RogueLocation:
    payers: list[ref("Payer")] = strawberry_django.field(description="Every payer, unread.")


def test_a_list_read_straight_from_a_relation_to_placed_rows_stops_start_up():
    rogue = fake_module("rogue", types=[_RogueLocation], requires=["payer"])
    modules = [apps.get_app_config("location"), apps.get_app_config("payer"), rogue]
    try:
        with pytest.raises(
            ImproperlyConfigured, match=r"location\.Location\.payers lists payer\.Payer rows"
        ):
            build_schema(modules)
    finally:
        build_schema()


@strawberry.type(description="Fields the rogue module adds to Location.")
class _RogueLocationPayers:
    raw_payers: list[ref("Payer")] | None = strawberry_django.field(
        field_name="payers", description="Every payer at the location, unread."
    )


def test_an_extension_listing_placed_rows_straight_from_a_relation_stops_start_up():
    # a field another module adds to Location is a field of Location as much as its own:
    # read straight from the relation it would list payers of every district
    rogue = fake_module("rogue", extensions={"Location": [_RogueLocationPayers]})
    modules = [apps.get_app_config("location"), apps.get_app_config("payer"), rogue]
    refusal = (
        r"^Module 'rogue' adds a field to its type: location\.Location\.raw_payers lists "
        r"payer\.Payer rows without district rights"
    )
    try:
        with pytest.raises(ImproperlyConfigured, match=refusal):
            build_schema(modules)
        with pytest.raises(ImproperlyConfigured, match=refusal):
            build_subgraph("rogue", modules)
    finally:
        build_schema()


def test_which_references_a_placement_implies_readable(monkeypatch):
    location, payer = apps.get_model("location.Location"), apps.get_model("payer.Payer")
    # a readable payer's location (any version's): readable, never checked
    assert references.implies_readable(payer, "location")
    # a readable current location's parent is its ancestor: readable; a history
    # version's may be a former parent outside the user's rights: checked
    assert references.implies_readable(location, "parent", history=False)
    assert not references.implies_readable(location, "parent")
    config = apps.get_app_config("payer")
    monkeypatch.setattr(config, "_manifest", dataclasses.replace(config.manifest, placement={}))
    assert not references.implies_readable(payer, "location")
