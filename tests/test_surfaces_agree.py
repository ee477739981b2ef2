"""The same filter means the same on GraphQL, FHIR and JSON:API: equal inputs give equal
counts on the three surfaces (a tester's report: the payers' location filter was "at or
below" on two surfaces and "at" on JSON:API; a search text with a space around it was
trimmed on one surface only, and a blank one matched everything on another).

The sample world (``Manifest.samples``): R1 > R1D1 (d1) > R1D1W1 > R1D1W1V1, R2 > R2D1
(d2); payers Ultha co-op at R1, Rapta fund at d1, Rajo fund at d2, National fund at no
location.
"""

from __future__ import annotations

import pytest
from django.test import Client

from modules.location.models import Location

pytestmark = pytest.mark.django_db

VIEW = ("location.view_location", "payer.view_payer")


@pytest.fixture
def everyone(world, make_user) -> Client:
    client = Client()
    client.force_login(make_user("everyone", *VIEW))
    return client


@pytest.fixture
def d1_user(world, make_user) -> Client:
    client = Client()
    client.force_login(make_user("d1", *VIEW, districts=[Location.objects.get(code="R1D1")]))
    return client


def graphql_count(client: Client, field: str, filter_: dict) -> int:
    query = f"query($f: {field[:-1].title()}Filter) {{ {field}(filter: $f) {{ totalCount }} }}"
    body = {"query": query, "variables": {"f": filter_}}
    answer = client.post("/graphql", body, content_type="application/json").json()
    assert "errors" not in answer, answer
    return answer["data"][field]["totalCount"]


def fhir_count(client: Client, resource: str, parameters: dict) -> int:
    response = client.get(f"/fhir/{resource}", {**parameters, "_summary": "count"})
    assert response.status_code == 200, response.content
    return response.json()["total"]


def jsonapi_count(client: Client, type_: str, parameters: dict) -> int:
    response = client.get(f"/api/{type_}", parameters)
    assert response.status_code == 200, response.content
    return response.json()["meta"]["pagination"]["count"]


def payers_at_or_below(client: Client, location: str) -> tuple[int, int, int]:
    key = str(Location.objects.get(code=location, validity_to=None).uuid)
    return (
        graphql_count(client, "payers", {"location": key}),
        fhir_count(client, "Organization", {"location": key}),
        jsonapi_count(client, "payers", {"filter[location.uuid]": key}),
    )


@pytest.mark.parametrize(("location", "count"), [("R1", 2), ("R1D1", 1), ("R2", 1), ("R1D1W1", 0)])
def test_the_payers_location_filter_is_at_or_below_on_every_surface(everyone, location, count):
    # R1: Ultha co-op (at R1) and Rapta fund (at d1, below R1); JSON:API gave 1
    assert payers_at_or_below(everyone, location) == (count, count, count)


def test_a_district_user_gets_the_payers_of_its_district_below_the_region(d1_user):
    # the region is readable (an ancestor of d1); its payer is not, d1's is
    assert payers_at_or_below(d1_user, "R1") == (1, 1, 1)


def location_searches(client: Client, text: str) -> tuple[int, int, int]:
    return (
        graphql_count(client, "locations", {"nameContains": text}),
        fhir_count(client, "Location", {"name:contains": text}),
        jsonapi_count(client, "locations", {"filter[name.icontains]": text}),
    )


def payer_searches(client: Client, text: str) -> tuple[int, int]:
    return (
        graphql_count(client, "payers", {"search": text}),
        jsonapi_count(client, "payers", {"filter[search]": text}),
    )


@pytest.mark.parametrize(
    ("text", "count"),
    [("ra", 3), (" ra", 3), ("ra ", 3), ("\u00a0RA\t", 3), ("achi", 1), ("a", 6), ("ra ch", 0)],
)
def test_a_name_text_gives_one_count_on_every_surface(everyone, text, count):
    # Ultha, Rapta, Achi, Rachla, Tahida, Rajo; surrounding white space is trimmed everywhere
    names = list(Location.objects.filter(validity_to=None).values_list("name", flat=True))
    assert sum(text.strip().lower() in name.lower() for name in names) == count, names
    assert location_searches(everyone, text) == (count, count, count)


@pytest.mark.parametrize(
    ("text", "count"),
    [("fund", 3), (" fund ", 3), ("rapta fund", 1), ("fund,rapta", 0), ("rapta  fund", 0)],
)
def test_a_search_text_is_one_phrase_on_every_surface(everyone, text, count):
    # JSON:API split the text into terms at white space and commas, each to match
    assert payer_searches(everyone, text) == (count, count)


@pytest.mark.parametrize("text", ["", " ", "\u3000\t"])
def test_a_blank_text_is_refused_on_every_surface(everyone, text):
    query = "query($t: String) { payers(filter: {search: $t}) { totalCount } }"
    body = {"query": query, "variables": {"t": text}}
    (error,) = everyone.post("/graphql", body, content_type="application/json").json()["errors"]
    assert (error["message"], error["extensions"]) == (
        "filter.search has no value.",
        {"code": "BAD_USER_INPUT", "argument": "filter.search"},
    )
    (refusal,) = everyone.get("/api/payers", {"filter[search]": text}).json()["errors"]
    assert (refusal["detail"], refusal["source"]) == (
        "filter[search] has no value.",
        {"parameter": "filter[search]"},
    )
    outcome = everyone.get("/fhir/Organization", {"name": text}).json()
    assert outcome["issue"][0]["diagnostics"] == "name has no value."
