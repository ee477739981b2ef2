"""The number of SQL queries per request does not grow with the size of the answer.

Every request of a logged-in user costs 4 queries before any data: the session, the
user, and the user's and its groups' permissions (Django caches them for the request).
"""

import pytest

AUTH_QUERIES = 4
VIEWER = ("location.view_location", "payer.view_payer")

LOCATIONS_QUERY = """
{ locations(first: 100) { totalCount edges { node {
    code parent { code parent { code } } children { code }
    payers { name location { code } }
} } } }
"""
PAYERS_QUERY = "{ payers { edges { node { name location { code payers { name } } } } } }"


@pytest.mark.django_db
@pytest.mark.parametrize("chains", [1, 25])
def test_locations_page_costs_three_queries(gql_as, make_chains, count_queries, chains):
    # given 1 location (one region) or 100 locations (25 chains of 4)
    make_chains(chains, regions_only=chains == 1)
    # when the frontend page is asked for
    data, captured = count_queries(gql_as(*VIEWER).data, LOCATIONS_QUERY)
    # then: one query for the page (with count and parents joined), one for the
    # children, one for the payers (with their locations joined)
    nodes = [e["node"] for e in data["locations"]["edges"]]
    assert len(nodes) == data["locations"]["totalCount"] == (1 if chains == 1 else 100)
    assert len(captured) == AUTH_QUERIES + 3, "\n".join(q["sql"] for q in captured)
    if chains == 1:
        assert nodes == [
            {
                "code": "R0",
                "parent": None,
                "children": [],
                "payers": [{"name": "Payer of R0", "location": {"code": "R0"}}],
            }
        ]
    else:
        district = next(n for n in nodes if n["code"] == "R0D")
        assert district["parent"] == {"code": "R0", "parent": None}
        assert district["children"] == [{"code": "R0DW"}]
        assert district["payers"] == [{"name": "Payer of R0D", "location": {"code": "R0D"}}]


@pytest.mark.django_db
@pytest.mark.parametrize("chains", [1, 50])
def test_payers_with_location_payers_cost_two_queries(gql_as, make_chains, count_queries, chains):
    make_chains(chains)
    data, captured = count_queries(gql_as(*VIEWER).data, PAYERS_QUERY)
    nodes = [e["node"] for e in data["payers"]["edges"]]
    assert len(nodes) == 2 * chains
    assert len(captured) == AUTH_QUERIES + 2, "\n".join(q["sql"] for q in captured)
    assert {
        "name": "Payer of R0",
        "location": {"code": "R0", "payers": [{"name": "Payer of R0"}]},
    } in nodes
