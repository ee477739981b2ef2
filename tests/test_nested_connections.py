"""Nested connections (issue 11, item 8): Location.childrenConnection, historyConnection,
payersConnection and Payer.historyConnection page with first/after and keyset cursors,
count with totalCount, and cost a fixed number of SQL queries whatever the page sizes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from modules.location.models import Location
from modules.payer.models import Payer

pytestmark = pytest.mark.django_db

PAGE = """
query ($first: Int, $after: String) {
  locations(filter: {type: REGION}) { edges { node { code
    childrenConnection(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { code } }
    }
  } } }
}
"""


def make_regions(regions: int, districts: int) -> list[Location]:
    made = []
    for r in range(regions):
        region = Location.objects.create(code=f"R{r}", name=f"Region {r}", type="R")
        for d in range(districts):
            Location.objects.create(code=f"R{r}D{d}", name=f"D {d}", type="D", parent=region)
        made.append(region)
    return made


def pages(data) -> dict:
    return {
        edge["node"]["code"]: edge["node"]["childrenConnection"]
        for edge in data["locations"]["edges"]
    }


def codes(connection) -> list[str]:
    return [edge["node"]["code"] for edge in connection["edges"]]


def test_each_parent_gets_its_own_page(gql):
    make_regions(3, 5)
    Location.objects.create(code="R1D9", name="Gone", type="D", parent=Location.objects.get(
        code="R1"), validity_to="2020-01-01T00:00Z")  # fmt: skip
    first = pages(gql.data(PAGE, {"first": 2}))
    assert {code: codes(page) for code, page in first.items()} == {
        "R0": ["R0D0", "R0D1"],
        "R1": ["R1D0", "R1D1"],
        "R2": ["R2D0", "R2D1"],
    }
    page = first["R1"]
    assert page["totalCount"] == 5
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
    # the same cursor continues every parent's page after R1D1's keys
    second = pages(gql.data(PAGE, {"first": 2, "after": page["pageInfo"]["endCursor"]}))
    assert codes(second["R1"]) == ["R1D2", "R1D3"]
    assert second["R1"]["pageInfo"]["hasPreviousPage"] is True
    assert second["R1"]["totalCount"] == 5
    third = pages(gql.data(PAGE, {"first": 2, "after": second["R1"]["pageInfo"]["endCursor"]}))
    assert codes(third["R1"]) == ["R1D4"]
    assert third["R1"]["pageInfo"]["hasNextPage"] is False
    assert codes(third["R2"]) == ["R2D0", "R2D1"]  # R2's codes all sort after R1D3
    assert third["R2"]["pageInfo"]["hasPreviousPage"] is False
    empty = pages(gql.data(PAGE, {"first": 0}))["R0"]
    assert empty == {
        "totalCount": 5,
        "pageInfo": {
            "hasNextPage": True,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
        "edges": [],
    }


def test_rows_changed_between_pages_are_not_skipped_or_repeated(gql):
    (region,) = make_regions(1, 6)
    first = pages(gql.data(PAGE, {"first": 3}))["R0"]
    Location.objects.filter(code__in=["R0D0", "R0D2"]).update(validity_to=timezone.now())
    Location.objects.create(code="R0D1a", name="new", type="D", parent=region)  # before
    Location.objects.create(code="R0D3a", name="new", type="D", parent=region)  # after
    Location.objects.filter(code="R0D4").update(validity_to=timezone.now())  # after, gone
    after = first["pageInfo"]["endCursor"]
    second = pages(gql.data(PAGE, {"first": 3, "after": after}))["R0"]
    assert codes(first) == ["R0D0", "R0D1", "R0D2"]
    assert codes(second) == ["R0D3", "R0D3a", "R0D5"]
    assert second["totalCount"] == 6 - 3 + 2


def test_history_and_payers_connections(gql):
    (region,) = make_regions(1, 0)
    for name in ("Old 1", "Old 2", "Old 3"):
        Location.objects.create(
            code="R0", name=name, type="R", legacy=region,
            validity_to=f"202{name[-1]}-01-01T00:00Z",
        )  # fmt: skip
    for name in ("Zeta", "alpha", "Beta"):
        payer = Payer.objects.create(name=name, type="G", location=region)
    Payer.objects.create(
        name="Zeta old", type="G", location=region, legacy=payer, validity_to="2020-01-01T00:00Z"
    )
    query = """query ($after: String) { locations { edges { node {
        historyConnection(first: 2, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { name } } }
        payersConnection(first: 2) { totalCount edges { node { name
          historyConnection { totalCount edges { node { name } } } } } }
    } } } }"""
    node = gql.data(query)["locations"]["edges"][0]["node"]
    history = node["historyConnection"]
    assert [e["node"]["name"] for e in history["edges"]] == ["Old 3", "Old 2"]  # newest first
    assert history["totalCount"] == 3 and history["pageInfo"]["hasNextPage"] is True
    assert node["payersConnection"] == {
        "totalCount": 3,
        "edges": [
            {"node": {"name": "alpha", "historyConnection": {"totalCount": 0, "edges": []}}},
            {
                "node": {
                    "name": "Beta",
                    "historyConnection": {
                        "totalCount": 1,
                        "edges": [{"node": {"name": "Zeta old"}}],
                    },
                }
            },
        ],
    }  # fmt: skip  (the payers list's own order: by name ignoring case, as payers(orderBy))
    rest = gql.data(query, {"after": history["pageInfo"]["endCursor"]})
    rest = rest["locations"]["edges"][0]["node"]["historyConnection"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["Old 1"]


NESTED = """
query ($first: Int!) { locations(first: 100) { totalCount edges { node {
  code
  childrenConnection(first: $first) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { code childrenConnection(first: $first) { totalCount
      edges { node { code } } } } } }
  payersConnection(first: $first) { totalCount edges { node { name
    historyConnection(first: $first) { totalCount edges { node { name } } } } } }
  historyConnection(first: $first) { totalCount edges { node { code } } }
} } } }
"""


@pytest.mark.parametrize("compile_", [False, True])
@pytest.mark.parametrize("first", [1, 10])
def test_query_count_is_flat_whatever_the_page_sizes(
    gql, make_chains, count_queries, first, compile_
):
    make_chains(25)  # 100 locations, 50 current payers with one history row each
    for region in Location.objects.filter(type="R"):
        for i in range(3):
            Location.objects.create(code=f"{region.code}X{i}", name="x", type="D", parent=region)
    with override_settings(GRAPHQL_COMPILE=compile_):
        data, captured = count_queries(gql.data, NESTED, {"first": first})
    nodes = [edge["node"] for edge in data["locations"]["edges"]]
    assert len(nodes) == 100 and data["locations"]["totalCount"] == 175
    region = next(node for node in nodes if node["code"] == "R0")
    children = region["childrenConnection"]
    assert children["totalCount"] == 4
    assert codes(children) == ["R0D", "R0X0", "R0X1", "R0X2"][:first]
    assert children["pageInfo"]["hasNextPage"] is (first < 4)
    assert children["edges"][0]["node"]["childrenConnection"]["totalCount"] == 1
    payers = region["payersConnection"]
    assert payers["totalCount"] == 1
    assert payers["edges"][0]["node"]["historyConnection"]["totalCount"] == 0
    # session and user; on PostgreSQL's compiled path one statement answers all; else
    # the page (with every nested totalCount as a subquery) and one query per nested
    # connection: children, their children, payers, payers' history, history
    compiled = compile_ and connection.vendor == "postgresql"
    answering = 1 if compiled else 1 + 5
    assert len(captured) == 2 + answering, "\n".join(q["sql"] for q in captured)


SIBLINGS = """
query { locations(filter: {type: REGION}) { edges { node { code
  childrenConnection(first: 2) { edges { node { code
    childrenConnection(first: 1) { totalCount edges { node { code } } }
    payersConnection(first: 1) { pageInfo { hasNextPage } }
  } } }
} } } }
"""


@pytest.mark.parametrize("compile_", [False, True])
def test_sibling_connections_in_a_page_of_a_connection(gql, compile_):
    # given regions whose districts have municipalities and payers
    for region in make_regions(2, 3):
        for district in region.children.all():
            Location.objects.create(code=f"{district.code}W", name="W", type="W", parent=district)
            for i in range(2):
                Payer.objects.create(name=f"P{i}", type="G", location=district)
    # when each district of a page of districts has two connections (each page of
    # districts is a window-filtered query whose per-connection NULLs were equal: Django
    # merged them and lost a column, "Unexpected error")
    with override_settings(GRAPHQL_COMPILE=compile_):  # both paths on PostgreSQL
        data = gql.data(SIBLINGS)
    # then every district has its own pages
    district = pages(data)["R1"]["edges"][1]["node"]
    assert district == {
        "code": "R1D1",
        "childrenConnection": {"totalCount": 1, "edges": [{"node": {"code": "R1D1W"}}]},
        "payersConnection": {"pageInfo": {"hasNextPage": True}},
    }


@pytest.mark.parametrize("compile_", [False, True])
@pytest.mark.parametrize("viewer", ["superuser", "reader"])
def test_equal_fields_of_the_rows_of_a_page_per_parent(gql, gql_as, compile_, viewer):
    # given regions whose districts were renamed (a history version each)
    for region in make_regions(2, 2):
        for district in region.children.all():
            district.name = "Renamed"
            district.save()
            Location.objects.create(
                code=f"{district.code}H", name="D", type="D", legacy=district,
                validity_from="2019-01-01T00:00Z", validity_to="2020-01-01T00:00Z",
            )  # fmt: skip
    client = gql if viewer == "superuser" else gql_as("location.view_location")
    # when each row of a page per parent asks two fields whose expressions are equal
    # (both false for a reader, both one EXISTS for the superuser: Django's window filter
    # selected them once and lost a column, "Unexpected error")
    query = """{ locations(filter: {type: DISTRICT}, first: 3) { edges { node { code
      childrenConnection(first: 1) { edges { node { code } } }
      historyConnection(first: 1) { edges { node { viewerCanChange viewerCanAddChild } } }
    } } } }"""
    with override_settings(GRAPHQL_COMPILE=compile_):
        data = client.data(query)
    # then every row answers both, false on a history version
    nodes = [edge["node"] for edge in data["locations"]["edges"]]
    assert [n["code"] for n in nodes] == ["R0D0", "R0D1", "R1D0"]
    assert [n["historyConnection"]["edges"] for n in nodes] == [
        [{"node": {"viewerCanChange": False, "viewerCanAddChild": False}}]
    ] * 3


def test_payers_connection_needs_the_payer_permission(gql_as, make_chains):
    make_chains(1, regions_only=True)
    result = gql_as("location.view_location").post(
        "{ locations { edges { node { code payersConnection { totalCount } } } } }"
    )
    assert result["data"]["locations"]["edges"] == [
        {"node": {"code": "R0", "payersConnection": None}}
    ]
    assert result["errors"][0]["message"] == "Permission denied: you need 'payer.view_payer'."
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_mutation_payload_pages_too(gql):
    (region,) = make_regions(1, 3)
    result = gql.data(
        'mutation($u: UUID!) { updateLocation(input: {uuid: $u, name: "Renamed"}) '
        "{ location { childrenConnection(first: 2) { totalCount pageInfo { hasNextPage } "
        "edges { node { code } } } historyConnection { totalCount } } } }",
        {"u": str(region.uuid)},
    )["updateLocation"]["location"]
    assert result == {
        "childrenConnection": {
            "totalCount": 3,
            "pageInfo": {"hasNextPage": True},
            "edges": [{"node": {"code": "R0D0"}}, {"node": {"code": "R0D1"}}],
        },
        "historyConnection": {"totalCount": 1},
    }


@override_settings(GRAPHQL_MAX_PAGE_SIZE=10)
def test_nested_pages_keep_the_limits(gql):
    make_regions(1, 2)

    def refusal(query):
        result = gql.post(query)
        (error,) = result["errors"]
        return error["message"], error["extensions"]["code"], error["path"]

    at_the_field = ["locations", "edges", 0, "node", "childrenConnection"]
    assert refusal(
        "{ locations(first: 5) { edges { node { childrenConnection(first: 11) { totalCount } } "
        "} } }"
    ) == ("Argument 'first' cannot be higher than 10.", "BAD_USER_INPUT", at_the_field)
    not_a_cursor = "Argument 'after' is not a cursor of this connection (ordered by code)."
    assert refusal(
        '{ locations(first: 5) { edges { node { childrenConnection(first: 2, after: "bad") { '
        "totalCount edges { node { code } } } } } } }"
    ) == (not_a_cursor, "BAD_USER_INPUT", at_the_field)
    # checked whatever is selected: totalCount alone reads no row, the cursor still counts
    assert refusal(
        '{ locations(first: 5) { edges { node { childrenConnection(after: "bad") { totalCount } '
        "} } } }"
    ) == (not_a_cursor, "BAD_USER_INPUT", at_the_field)


@override_settings(GRAPHQL_MAX_NODES=100)
def test_nested_first_is_multiplied_into_the_estimate(gql):
    make_regions(3, 5)  # 18 locations, at most 5 children each
    query = (
        "{ locations(first: 10) { edges { node { childrenConnection(first: %d) "
        "{ edges { node { code } } } } } } }"
    )
    # 1 connection + 10 edges + 10 nodes + 10 nested connections + 10 x n edges and nodes
    assert "errors" not in gql.post(query % 1)  # 51 objects
    refused = gql.post(query % 5)["errors"][0]
    assert refused["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert refused["message"].startswith("This request could return up to 131 objects")
    # a page larger than any parent's children counts as the most children a parent has
    big = gql.post(query % 50)["errors"][0]
    assert big["message"].startswith("This request could return up to 131 objects")


def test_the_core_guards_a_connection_of_another_modules_nodes():
    # a module's connection field on another module's type gets the view permission of
    # its nodes' module, as a list field does (backend.graphql.schema.guard_foreign_fields)
    from backend.graphql.schema import named_types
    from modules.payer.graphql.types import LocationPayers, PayerNode

    fields = LocationPayers.__strawberry_definition__.fields
    field = next(f for f in fields if f.name == "payers_connection")
    assert PayerNode in list(named_types(field))


@pytest.mark.parametrize("builder", ["prefetched_list", "prefetched_connection"])
def test_a_relation_field_with_a_wrong_or_missing_option_is_refused_when_declared(builder):
    from backend.graphql import relations

    build = getattr(relations, builder)
    with pytest.raises(TypeError, match=r"unexpected keyword argument.*: descrption"):
        build("children", Location.objects.all, descrption="typo")
    with pytest.raises(TypeError, match="missing required keyword argument: 'description'"):
        build("children", Location.objects.all)
