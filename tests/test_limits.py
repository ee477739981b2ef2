"""The estimate of objects per answer, and the limit that refuses expensive requests."""

import pytest
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


@pytest.mark.django_db
def test_an_exploding_query_is_refused_before_execution(gql, django_assert_num_queries):
    query = (
        "{ locations(first: 1000) { edges { node { children { parent { children { parent "
        "{ children { code } } } } } } } } }"
    )
    # 1 + 1000 edges + 1000 nodes + 20,000 + 20,000 + 400,000 + 400,000 + 8,000,000
    with django_assert_num_queries(2):  # the session and the user; no data query
        errors = gql.errors(query)
    assert errors == [
        "This request could return up to 8,842,001 objects; the limit is 100,000. "
        "Ask for smaller pages (first/last) or fewer nested lists."
    ]


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
