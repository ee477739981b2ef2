"""Counts of the nested lists (issue 11, item 8): Location.childrenCount, historyCount,
payersCount and Payer.historyCount, counted in the page's own SQL query."""

from __future__ import annotations

import pytest

from modules.location.models import Location
from modules.payer.models import Payer

pytestmark = pytest.mark.django_db

PAGE = (
    "{ locations { edges { node { code childrenCount historyCount payersCount "
    "children { code } payers { name historyCount } } } } }"
)


def counts(data):
    return {
        edge["node"]["code"]: (
            edge["node"]["childrenCount"],
            edge["node"]["historyCount"],
            edge["node"]["payersCount"],
        )
        for edge in data["locations"]["edges"]
    }


def test_counts_are_real_values(gql, make_chains):
    (region,) = make_chains(1)
    Location.objects.create(code="R0D2", name="Second", type="D", parent=region)
    Location.objects.create(  # a deleted district: not a current child
        code="R0D3", name="Gone", type="D", parent=region, validity_to="2020-01-01T00:00Z"
    )
    Location.objects.create(
        code="R0", name="Old name", type="R", validity_to="2019-01-01T00:00Z", legacy=region
    )
    data = gql.data(PAGE)
    assert counts(data) == {
        "R0": (2, 1, 1),  # the history payer of R0 is not counted
        "R0D": (1, 0, 1),
        "R0D2": (0, 0, 0),
        "R0DW": (1, 0, 0),
        "R0DWV": (0, 0, 0),
    }
    for edge in data["locations"]["edges"]:
        node = edge["node"]
        assert node["childrenCount"] == len(node["children"])
        assert node["payersCount"] == len(node["payers"])


def test_payer_history_count(gql, make_chains):
    (region,) = make_chains(1, regions_only=True)
    payer = Payer.objects.get(location=region)
    for name in ("First", "Second"):
        Payer.objects.create(
            name=name, type="G", validity_to="2020-01-01T00:00Z", legacy=payer, location=region
        )
    data = gql.data("{ payers { edges { node { name historyCount } } } }")
    assert data["payers"]["edges"] == [{"node": {"name": payer.name, "historyCount": 2}}]


def test_query_count_does_not_grow_with_the_page(gql, make_chains, count_queries, settings):
    settings.GRAPHQL_COMPILE = False  # the general executor's (the compiler's: test_compiler.py)
    make_chains(1)
    _, one = count_queries(gql.data, PAGE)
    make_chains_more = 4
    for i in range(1, make_chains_more):
        region = Location.objects.create(code=f"X{i}", name=f"X {i}", type="R")
        Payer.objects.create(name=f"P{i}", type="G", location=region)
        Location.objects.create(code=f"X{i}D", name="D", type="D", parent=region)
    data, many = count_queries(gql.data, PAGE)
    assert len(data["locations"]["edges"]) == 10
    # session + user, the page with every count, children, payers (with their count)
    assert len(one) == len(many) == 5


def test_a_mutation_payload_counts_too(gql, make_chains):
    (region,) = make_chains(1)
    result = gql.data(
        'mutation($u: UUID!) { updateLocation(input: {uuid: $u, name: "Renamed"}) '
        "{ location { childrenCount historyCount payersCount } } }",
        {"u": str(region.uuid)},
    )["updateLocation"]["location"]
    assert result == {"childrenCount": 1, "historyCount": 1, "payersCount": 1}
