"""The estimate of objects per answer, and the limit that refuses expensive requests."""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from graphql import parse

from backend.graphql.cost import estimate_nodes
from backend.graphql.schema import get_schema

FRONTEND_PAGE = """{ locations(first: 100) { totalCount edges { node {
    code parent { code parent { code } } children { code } payers { name location { code } }
} } } }"""


def estimate(query: str, variables: dict | None = None) -> int:
    return estimate_nodes(get_schema()._schema, parse(query), None, variables or {})


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        # 1 connection + 100 edges + 100 nodes
        ("{ locations(first: 100) { edges { node { code } } } }", None, 201),
        # the default page (100) when first/last is absent; totalCount is no object
        ("{ locations { totalCount edges { node { code } } } }", None, 201),
        ("query($n: Int) { locations(first: $n) { edges { node { code } } } }", {"n": 7}, 15),
        # per node: 2 parents (1 each), children (20), payers (20) with a location each (20)
        (FRONTEND_PAGE, None, 1 + 100 + 100 * (1 + 1 + 1 + 20 + 20 + 20)),
        # a region's subtree: 1 + 20 + 400 + 8000
        (
            '{ location(uuid: "75250515-40d7-4c77-bafe-a2c65ffc5a72") '
            "{ children { children { children { code } } } } }",
            None,
            8421,
        ),
        ('{ a: location(uuid: "75250515-40d7-4c77-bafe-a2c65ffc5a72") { code } }', None, 1),
        (
            "query { ...F } fragment F on Query { payers(first: 3) { edges { node { "
            "... on Payer { location { code } } } } } }",
            None,
            1 + 3 + 3 + 3,
        ),
    ],
)
def test_estimates(query, variables, expected):
    assert estimate(query, variables) == expected


#: Cambodia's largest region, Kampong Speu ("05"): 9 districts, 88 communes, 1,356
#: villages; its largest commune has 33 villages, the most of any Cambodian commune.
DISTRICT_COMMUNES = (10, 10, 10, 10, 10, 10, 10, 9, 9)
REGION_SUBTREE = """{ locations(filter: {code: "05", type: REGION}) { edges { node {
    code name children { code name children { code name children { code name } } } } } } }"""
EXPLODING = (
    "{ locations(first: 1000) { edges { node { children { parent { children { parent "
    "{ children { code } } } } } } } } }"
)
#: Every village of a page with the payers of each of its ancestors, and their locations.
VILLAGES_WITH_ANCESTOR_PAYERS = """{ locations(filter: {type: VILLAGE}, first: 1000) {
    edges { node { code parent { payers { name location { code } } parent { payers { name
    location { code } } parent { payers { name location { code } } } } } } } } }"""


@pytest.fixture
def region_tree(db):
    """A tree of Kampong Speu's shape under region 05, 24 more (empty) regions, and
    payers: ``payers_per_place`` at the region and at each district (default none)."""
    from modules.location.models import Location, rebuild_paths
    from modules.payer.models import Payer

    def make(payers_per_place: int = 0) -> None:
        regions = Location.objects.bulk_create(
            Location(code=f"{n:02}", name=f"Region {n}", type="R") for n in range(5, 30)
        )
        region = regions[0]
        districts = Location.objects.bulk_create(
            Location(code=f"05{d:02}", name=f"District {d}", type="D", parent=region)
            for d in range(1, 10)
        )
        communes = Location.objects.bulk_create(
            Location(code=f"{district.code}{c:02}", name="Commune", type="W", parent=district)
            for district, count in zip(districts, DISTRICT_COMMUNES, strict=True)
            for c in range(1, count + 1)
        )
        # one commune of 33 villages, 18 of 16, 69 of 15: 1,356
        sizes = [33] + [16] * 18 + [15] * 69
        Location.objects.bulk_create(
            Location(code=f"{commune.code}{v:02}", name="Village", type="V", parent=commune)
            for commune, count in zip(communes, sizes, strict=True)
            for v in range(1, count + 1)
        )
        rebuild_paths()
        Payer.objects.bulk_create(
            Payer(name=f"Payer {n} of {place.code}", type="G", location=place)
            for place in [region, *districts]
            for n in range(payers_per_place)
        )

    return make


def objects_in(value) -> int:
    """The objects of a GraphQL answer (every JSON object below the root)."""
    if isinstance(value, list):
        return sum(objects_in(item) for item in value)
    if isinstance(value, dict):
        return 1 + sum(objects_in(item) for item in value.values())
    return 0


@pytest.mark.django_db
def test_a_region_subtree_is_answered_at_the_default_limits(region_tree, gql, settings):
    region_tree()
    assert settings.GRAPHQL_MAX_NODES == 100_000
    # pass 1 (no SQL): 1 + 100 + 100 * (1 + 20 + 400 + 8,000)
    assert estimate(REGION_SUBTREE) == 842_201
    with CaptureQueriesContext(connection) as captured:
        data = gql.data(REGION_SUBTREE)
    region = data["locations"]["edges"][0]["node"]
    communes = [c for d in region["children"] for c in d["children"]]
    assert (len(region["children"]), len(communes)) == (9, 88)
    assert sum(len(c["children"]) for c in communes) == 1356
    sql = [q["sql"] for q in captured.captured_queries]
    # the session and the user; the estimate: the root count (1 region) and the largest
    # number of children (33); then the data: the page and one query per level (one
    # statement where the SQL compiler answers: PostgreSQL)
    assert len(sql) == 2 + 2 + (1 if compiled() else 4), sql
    assert sql[2].startswith("SELECT COUNT(*)") and "GROUP BY" in sql[3]


def compiled() -> bool:
    """Whether the SQL compiler answers reads (PostgreSQL with GRAPHQL_COMPILE)."""
    return connection.vendor == "postgresql" and settings.GRAPHQL_COMPILE


@pytest.mark.django_db
def test_the_estimate_from_rows(region_tree, gql):
    from backend.graphql.row_estimate import RowCounts

    region_tree(payers_per_place=2)
    schema = get_schema()
    context = SimpleNamespace(request=gql.client.get("/").wsgi_request)
    context.request.user = User.objects.get(username="admin")

    def from_rows(query: str) -> int:
        rows = RowCounts(schema, context, {})
        return estimate_nodes(schema._schema, parse(query), None, {}, rows=rows)

    # 1 connection, 1 edge, 1 node; 33 + 33² + 33³ children (the largest commune)
    assert from_rows(REGION_SUBTREE) == 3 + 33 + 33**2 + 33**3 == 37_062
    # 1,000 of the 1,478 locations; children at most 33; the payers of a place at most 2
    assert from_rows(EXPLODING) == 1 + 2 * 1000 + 2 * 33_000 + 2 * 1_089_000 + 35_937_000
    assert from_rows(VILLAGES_WITH_ANCESTOR_PAYERS) == 1 + 2 * 1000 + 1000 * 3 * (1 + 2 + 2)
    # a filter matching nothing: just the connection
    assert from_rows('{ locations(filter: {code: "99"}) { edges { node { code } } } }') == 1


def assert_refused_by_estimate(
    client, query: str, nodes: int, estimate_queries: int, limit: int = 100_000
):
    """``query`` is refused naming ``nodes`` (and the node ``limit``); of the data tables
    only the estimate's own ``estimate_queries`` counts were read (the others: session,
    user, permissions)."""
    with CaptureQueriesContext(connection) as captured:
        errors = client.post(query)["errors"]
    assert errors == [
        {
            "message": f"This request could return up to {nodes:,} objects; the limit is "
            f"{limit:,} (GRAPHQL_MAX_NODES). Ask for smaller pages (first/last) or fewer nested "
            "lists.",
            "extensions": {"code": "LIMIT_EXCEEDED"},
        }
    ]
    sql = [q["sql"] for q in captured.captured_queries]
    data = [s for s in sql if "location_location" in s or "payer_payer" in s]
    assert len(data) == estimate_queries, "\n".join(data)
    assert all(s.startswith("SELECT COUNT(") for s in data), "\n".join(data)
    assert all("auth_" in s or "django_session" in s for s in sql if s not in data)


@pytest.mark.django_db
def test_really_big_queries_are_refused_before_their_sql_runs(region_tree, gql):
    # 60 payers at the region and at each district: every village of the page really
    # has 3 ancestors and 120 of their payers with their locations, 243,000 objects for
    # 1,000 villages (pass 1 estimates 2,001 + 1,000 * 3 * (1 + 20 + 20) = 123,001)
    region_tree(payers_per_place=60)
    assert_refused_by_estimate(gql, EXPLODING, 38_183_001, 2)  # root count, children
    assert_refused_by_estimate(  # root count, payers
        gql, VILLAGES_WITH_ANCESTOR_PAYERS, 2001 + 1000 * 3 * (1 + 60 + 60), 2
    )


@pytest.mark.django_db
def test_the_estimate_counts_only_what_the_caller_may_read(region_tree, gql_as):
    region_tree(payers_per_place=60)
    viewer = gql_as("location.view_location")
    # without payer.view_payer, payers keep the estimate without SQL (20 per list): the
    # refusal tells nothing about the payers; only the root count ran
    assert_refused_by_estimate(viewer, VILLAGES_WITH_ANCESTOR_PAYERS, 2001 + 1000 * 3 * 41, 1)


@pytest.mark.django_db
def test_the_estimate_counts_only_the_rows_of_the_users_districts(
    region_tree, gql, gql_as, settings
):
    from modules.location.models import Location

    region_tree()
    # district 0502: 10 communes of at most 16 villages (the 33-village commune is 0501's)
    district = Location.objects.get(code="0502")
    user = gql_as("location.view_location", districts=[district])
    settings.GRAPHQL_MAX_NODES = 10_000
    # everyone's rows: 3 + 33 + 33² + 33³; the user's: their district under the region,
    # 16 children at most (1 + 1 + 10 + 159 locations): 3 + 16 + 16² + 16³
    assert_refused_by_estimate(gql, REGION_SUBTREE, 37_062, 2, limit=10_000)
    with CaptureQueriesContext(connection) as captured:
        region = user.data(REGION_SUBTREE)["locations"]["edges"][0]["node"]
    assert [d["code"] for d in region["children"]] == ["0502"]
    communes = region["children"][0]["children"]
    assert (len(communes), sum(len(c["children"]) for c in communes)) == (10, 159)
    estimate = [s for s in (q["sql"] for q in captured.captured_queries) if "COUNT(" in s]
    assert len(estimate) == 2 and "GROUP BY" in estimate[1]  # the root count, children
    # a refusal names the user's own numbers: 171 locations, 16 children at most, never
    # Kampong Speu's 33 (1 + 2·171 + 2·171·16 + 2·171·16² + 171·16³); the root count
    # only: the user's largest number of children is kept, as everyone's is
    settings.GRAPHQL_MAX_NODES = 100_000
    assert_refused_by_estimate(user, EXPLODING, 793_783, 1)


@pytest.mark.django_db
def test_the_kept_fan_outs_are_bounded(region_tree, make_user, settings, monkeypatch):
    from backend.graphql import row_estimate
    from modules.location.models import Location

    region_tree()
    monkeypatch.setattr(row_estimate, "KEPT_FAN_OUTS", 3)
    settings.GRAPHQL_FAN_OUT_SECONDS = 0  # each statistic expires at once
    children = row_estimate.max_fan_out("children", Location.objects.current)[row_estimate.ROWS]
    districts = Location.objects.filter(type="D").order_by("code")
    for n, district in enumerate(districts):  # a restricted user each: a statistic each
        user = make_user(f"d{n}", districts=[district])
        info = SimpleNamespace(context=SimpleNamespace(request=SimpleNamespace(user=user)))
        # the largest commune: 33 villages in 0501, 16 in 0502, 15 in the others
        assert children(info) == {"0501": 33, "0502": 16}.get(district.code, 15)
        assert len(row_estimate._fan_outs) <= 3


@pytest.mark.django_db
def test_a_small_query_costs_no_estimate_query(region_tree, gql):
    region_tree()
    query = "{ locations(first: 10) { edges { node { code children { code } } } } }"
    with CaptureQueriesContext(connection) as captured:
        gql.data(query)
    sql = [q["sql"] for q in captured.captured_queries]
    # the session, the user, then the page and the children (one compiled statement)
    assert len(sql) == 2 + (1 if compiled() else 2), sql
    assert not any("GROUP BY" in statement for statement in sql)


@pytest.mark.django_db
def test_several_operations_need_an_operation_name(gql):
    document = "query A { __typename } query B { __typename }"
    assert gql.errors(document) == [
        "The document holds 2 operations: name the one to run in operationName."
    ]
    response = gql.client.post(
        "/graphql",
        {"query": document, "operationName": "B"},
        content_type="application/json",
    )
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("document", "name", "message"),
    [
        (
            "query A { __typename } query B { __typename }",
            None,
            "The document holds 2 operations: name the one to run in operationName.",
        ),
        (
            "query A { __typename } query B { __typename }",
            "C",
            'The document holds no operation named "C" (operations: A, B).',
        ),
        (
            "{ __typename }",
            "A",
            'The document holds no operation named "A" (operations: (anonymous)).',
        ),
        (
            "fragment F on Query { __typename }",
            None,
            "The document holds no operation to run, only fragments.",
        ),
    ],
)
def test_an_operation_that_cannot_be_determined_is_one_kind_of_error(gql, document, name, message):
    """GraphQL's GetOperation fails: every case a GraphQL request error in a 200 (GraphQL
    over HTTP, application/json, "Operation cannot be determined"), coded alike; an
    unknown operationName was a 400 of strawberry's, two operations unnamed a 200."""
    body = {"query": document} if name is None else {"query": document, "operationName": name}
    for client in (gql.client, Client()):  # before authentication is looked at, too
        response = client.post("/graphql", body, content_type="application/json")
        assert response.status_code == 200, response.content
        assert response.json() == {
            "data": None,
            "errors": [{"message": message, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}],
        }


@pytest.mark.django_db
def test_a_filter_error_met_by_the_estimate_is_the_answer(region_tree, gql):
    region_tree()
    query = (
        '{ locations(filter: {parent: "00000000-0000-0000-0000-00000000beef"}) '
        "{ edges { node { children { children { children { code } } } } } } }"
    )
    assert gql.post(query)["errors"] == [
        {
            "message": "filter.parent: no location has uuid 00000000-0000-0000-0000-00000000beef.",
            "extensions": {"code": "BAD_USER_INPUT"},
        }
    ]
