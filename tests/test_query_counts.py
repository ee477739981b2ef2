"""The number of SQL queries per request does not grow with the size of the answer.

Every request of a logged-in user costs 4 queries before any data: the session, the
user, and the user's and its groups' permissions (Django caches them for the request).
"""

import pytest

from conftest import VIEWER

#: A session request's authentication: the session, the user, the user's and the groups'
#: permissions; the permissions are then cached (AUTH_CACHE_SECONDS): a later request of
#: the same user costs the first two only.
AUTH_QUERIES = 4
WARM_AUTH_QUERIES = 2


@pytest.fixture(autouse=True)
def _general_executor(settings):
    """These count the general executor's queries. On PostgreSQL the SQL compiler answers
    these reads in one statement instead (asserted in tests/test_compiler.py)."""
    settings.GRAPHQL_COMPILE = False


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


# The six operations of the benchmark (scripts/bench_api.py, README "Benchmark"): each
# costs the same number of queries whatever the size of its answer.

FRONTEND_PAGE = """
query ($first: Int!) { locations(first: $first, filter: {type: VILLAGE}) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node {
    uuid code name type
    parent { code name parent { code name parent { code name } } }
    payers { name type }
  } }
} }
"""
SUBTREE = """
query ($uuid: UUID!) { location(uuid: $uuid) {
  code name children { code name children { code name children { code name } } }
} }
"""
PAYER_SEARCH = """
query ($search: String!) { payers(first: 50, filter: {search: $search}) {
  totalCount
  edges { node {
    uuid name type phone email location { code name type parent { code name } }
  } }
} }
"""
ONE_LOCATION = """
query ($uuid: UUID!) { location(uuid: $uuid) {
  uuid code name type parent { uuid code name type } children { uuid code name type }
} }
"""
HIERARCHY_PAGE = """
query ($first: Int!, $after: String) { locations(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { uuid code name type parent { uuid } } }
} }
"""
UPDATE_PAYER = """
mutation ($uuid: UUID!, $phone: String) { updatePayer(input: {uuid: $uuid, phone: $phone}) {
  payer { uuid name phone } errors { field code message }
} }
"""


@pytest.mark.django_db
@pytest.mark.parametrize("chains", [1, 30])
def test_frontend_page_costs_two_queries(gql_as, make_chains, count_queries, chains):
    make_chains(chains)
    data, captured = count_queries(gql_as(*VIEWER).data, FRONTEND_PAGE, {"first": 100})
    # the page (count and three parents in it) and the villages' payers
    assert len(captured) == AUTH_QUERIES + 2, "\n".join(q["sql"] for q in captured)
    page = data["locations"]
    assert page["totalCount"] == len(page["edges"]) == chains
    assert page["edges"][0]["node"]["parent"] == {
        "code": "R0DW",
        "name": "Ward 0",
        "parent": {
            "code": "R0D",
            "name": "District 0",
            "parent": {"code": "R0", "name": "Region 0"},
        },
    }
    assert page["edges"][0]["node"]["payers"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("width", [1, 4])
def test_region_subtree_costs_one_query_per_level(gql_as, make_tree, count_queries, width):
    region = make_tree(width)
    data, captured = count_queries(gql_as(*VIEWER).data, SUBTREE, {"uuid": str(region.uuid)})
    # the region, then one query per level below it: districts, municipalities, villages
    assert len(captured) == AUTH_QUERIES + 4, "\n".join(q["sql"] for q in captured)
    districts = data["location"]["children"]
    villages = [v for d in districts for w in d["children"] for v in w["children"]]
    assert len(districts) == width and len(villages) == width**3
    assert villages[-1] == {"code": "T" + str(width - 1) * 3, "name": "V T" + str(width - 1) * 3}


@pytest.mark.django_db
@pytest.mark.parametrize("chains", [1, 40])
def test_payer_search_costs_one_query(gql_as, make_chains, count_queries, chains):
    make_chains(chains)
    data, captured = count_queries(gql_as(*VIEWER).data, PAYER_SEARCH, {"search": "payer of"})
    # count, page, location and its parent in one query
    assert len(captured) == AUTH_QUERIES + 1, "\n".join(q["sql"] for q in captured)
    page = data["payers"]
    assert page["totalCount"] == 2 * chains  # current payers of regions and districts
    assert len(page["edges"]) == min(50, 2 * chains)
    district_payer = next(e["node"] for e in page["edges"] if e["node"]["name"] == "Payer of R0D")
    assert district_payer["location"] == {
        "code": "R0D",
        "name": "District 0",
        "type": "DISTRICT",
        "parent": {"code": "R0", "name": "Region 0"},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("width", [1, 6])
def test_one_location_costs_two_queries(gql_as, make_tree, count_queries, width):
    make_tree(width)
    from modules.location.models import Location

    district = Location.objects.get(code="T0")
    data, captured = count_queries(gql_as(*VIEWER).data, ONE_LOCATION, {"uuid": str(district.uuid)})
    # the location with its parent joined, its children
    assert len(captured) == AUTH_QUERIES + 2, "\n".join(q["sql"] for q in captured)
    location = data["location"]
    assert (location["code"], location["type"], location["parent"]["code"]) == (
        "T0",
        "DISTRICT",
        "T",
    )
    assert [c["code"] for c in location["children"]] == [f"T0{i}" for i in range(width)]


@pytest.mark.django_db
@pytest.mark.parametrize("chains", [1, 30])
def test_hierarchy_page_costs_one_query(gql_as, make_chains, count_queries, chains):
    make_chains(chains)
    client = gql_as(*VIEWER)
    first, captured = count_queries(client.data, HIERARCHY_PAGE, {"first": 3})
    assert len(captured) == AUTH_QUERIES + 1, "\n".join(q["sql"] for q in captured)
    after = first["locations"]["pageInfo"]["endCursor"]
    data, captured = count_queries(client.data, HIERARCHY_PAGE, {"first": 1000, "after": after})
    # a later page: count, page and parents in one query
    assert len(captured) == WARM_AUTH_QUERIES + 1, "\n".join(q["sql"] for q in captured)
    page = data["locations"]
    assert page["totalCount"] == 4 * chains
    assert len(page["edges"]) == 4 * chains - 3
    assert page["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["code"] for e in first["locations"]["edges"]] == ["R0", "R0D", "R0DW"]


@pytest.mark.django_db
@pytest.mark.parametrize("chains", [1, 30])
def test_payer_update_query_count(gql_as, make_chains, count_queries, chains):
    make_chains(chains)
    from modules.payer.models import Payer

    payer = Payer.objects.get(name="Payer of R0D")
    client = gql_as(*VIEWER, "payer.change_payer")
    data, captured = count_queries(
        client.data, UPDATE_PAYER, {"uuid": str(payer.uuid), "phone": "+855 23 000001"}
    )
    # the operation's transaction (all or nothing: AtomicMutations) and the service's
    # inside it (savepoints here; BEGIN/COMMIT and a savepoint in production: 4), lock,
    # read, location (validation), history (insert), update, read back
    assert len(captured) == AUTH_QUERIES + 10, "\n".join(q["sql"] for q in captured)
    assert data["updatePayer"] == {
        "payer": {"uuid": str(payer.uuid), "name": "Payer of R0D", "phone": "+855 23 000001"},
        "errors": [],
    }
    assert Payer.objects.filter(legacy_id=payer.pk, phone=payer.phone).count() == 1
