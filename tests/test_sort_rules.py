"""One sort rule per field on every surface (:mod:`backend.ordering`): names ignore case
by the project's case rule (:mod:`backend.casefold`) in GraphQL's ``orderBy``, FHIR's
``_sort`` and JSON:API's ``sort`` (and their default orders), location levels sort by
rank (R, D, W, V), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from conftest import GraphQLClient
from modules.location.models import Location
from modules.payer.models import Payer

pytestmark = pytest.mark.django_db

NAMES = ["beta", "Alpha", "alpha2", "Écija", "Delta"]
#: Ignoring case: a and A alike, D after b, É last (é after the letters a to z); by the
#: stored value (SQLite, PostgreSQL's C.UTF-8), capitals would come first.
ORDERED = ["Alpha", "alpha2", "beta", "Delta", "Écija"]


@pytest.fixture
def named(db):
    for number, name in enumerate(NAMES):
        Location.objects.create(code=f"N{number}", name=name, type="R")
        Payer.objects.create(name=name, type="C")


def graphql_names(client, field: str, direction: str) -> list[str]:
    order = f"orderBy: [{{field: NAME, direction: {direction}}}]"
    data = GraphQLClient(client).data(f"{{ {field}({order}) {{ edges {{ node {{ name }} }} }} }}")
    return [edge["node"]["name"] for edge in data[field]["edges"]]


def fhir_names(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [entry["resource"]["name"] for entry in response.json()["entry"]]


def jsonapi_names(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [item["attributes"]["name"] for item in response.json()["data"]]


@pytest.mark.parametrize(
    ("graphql_field", "fhir_type", "jsonapi_type"),
    [("locations", "Location", "locations"), ("payers", "Organization", "payers")],
)
def test_names_sort_ignoring_case_on_every_surface(
    admin, named, graphql_field, fhir_type, jsonapi_type
):
    assert graphql_names(admin, graphql_field, "ASC") == ORDERED
    assert graphql_names(admin, graphql_field, "DESC") == ORDERED[::-1]
    assert fhir_names(admin, f"/fhir/{fhir_type}?_sort=name") == ORDERED
    assert fhir_names(admin, f"/fhir/{fhir_type}?_sort=-name") == ORDERED[::-1]
    assert jsonapi_names(admin, f"/api/{jsonapi_type}?sort=name") == ORDERED
    assert jsonapi_names(admin, f"/api/{jsonapi_type}?sort=-name") == ORDERED[::-1]


def test_default_orders_follow_the_rule_too(admin, named):
    """Payers are listed by name by default (their model's ordering), ignoring case, as
    GraphQL's ``payers`` without ``orderBy``."""
    data = GraphQLClient(admin).data("{ payers { edges { node { name } } } }")
    assert [edge["node"]["name"] for edge in data["payers"]["edges"]] == ORDERED
    assert fhir_names(admin, "/fhir/Organization") == ORDERED
    assert jsonapi_names(admin, "/api/payers") == ORDERED


def test_location_levels_sort_by_rank_on_every_surface(admin, make_chains):
    make_chains(1)  # R0 > R0D > R0DW > R0DWV
    ranked = ["R0", "R0D", "R0DW", "R0DWV"]
    data = GraphQLClient(admin).data(
        "{ locations(orderBy: [{field: TYPE}]) { edges { node { code } } } }"
    )
    assert [edge["node"]["code"] for edge in data["locations"]["edges"]] == ranked
    found = admin.get("/fhir/Location?_sort=-type").json()["entry"]
    assert [e["resource"]["identifier"][1]["value"] for e in found] == ranked[::-1]
    listed = admin.get("/api/locations?sort=type").json()["data"]
    assert [item["attributes"]["code"] for item in listed] == ranked


def test_a_locations_payers_sort_by_the_rule_too(admin, make_chains):
    """The nested lists (GraphQL ``Location.payers`` and ``payersConnection``, JSON:API
    ``/api/locations/<uuid>/payers``) order by name as the root lists do."""
    region = make_chains(1, regions_only=True)[0]
    Payer.objects.filter(location=region).delete()
    for name in NAMES:
        Payer.objects.create(name=name, type="C", location=region)
    query = """query($uuid: UUID!) { location(uuid: $uuid) {
        payers { name } payersConnection { edges { node { name } } } } }"""
    found = GraphQLClient(admin).data(query, {"uuid": str(region.uuid)})["location"]
    assert [payer["name"] for payer in found["payers"]] == ORDERED
    assert [e["node"]["name"] for e in found["payersConnection"]["edges"]] == ORDERED
    assert jsonapi_names(admin, f"/api/locations/{region.uuid}/payers") == ORDERED


@pytest.mark.parametrize("model", [Location, Payer])
def test_graphql_keys_and_the_rest_surfaces_sort_by_one_term_rule(model):
    """GraphQL's order keys (:class:`~backend.graphql.cursors.KeyOrder`) and FHIR's and
    JSON:API's terms (:func:`backend.ordering.order_terms`) are one kind of term,
    :class:`backend.ordering.SortTerm`, so a field sorts (NULLs included) by the same SQL
    on every surface and the rule is written once."""
    from backend.graphql.inputs import Sort
    from backend.ordering import SortTerm, order_terms, sort_rules

    rules = sort_rules(model)
    fields = [f.name for f in model._meta.concrete_fields if not f.is_relation]
    for field in fields:
        for name in (field, f"-{field}"):
            rest = order_terms(model, [name])[0]
            key = Sort(by=rules.get(field)).key(field, descending=name.startswith("-"))
            graphql = key.order()
            assert isinstance(rest, SortTerm) and isinstance(graphql, SortTerm)
            sql = [str(model.objects.order_by(term).query) for term in (rest, graphql)]
            assert sql[0] == sql[1], name
