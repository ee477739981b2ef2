"""The SQL compiler of reads (backend.graphql.compiler): one statement per compiled read,
the general executor for everything else.

On PostgreSQL a compiled read costs the authentication's queries plus ONE statement,
whatever the page size and nesting; its answer equals the general executor's. Reads it
does not compile (errors to report, ``last``/``before``, missing permissions, mutations,
introspection) are answered by the general executor. On SQLite nothing is compiled.
"""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from backend.graphql.cursors import encode
from conftest import VIEWER
from tests.test_query_counts import (
    AUTH_QUERIES,
    FRONTEND_PAGE,
    HIERARCHY_PAGE,
    LOCATIONS_QUERY,
    ONE_LOCATION,
    PAYER_SEARCH,
    PAYERS_QUERY,
    SUBTREE,
    WARM_AUTH_QUERIES,
)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the SQL compiler builds the answer with PostgreSQL's JSON functions; "
    "SQLite always runs the general executor",
)


def compiled(captured) -> bool:
    """True when one of the captured statements is the compiler's."""
    return any("json_build_object" in q["sql"] for q in captured)


def both_paths(client, query: str, variables: dict | None = None):
    """``(compiled path's answer, its SQL queries, general path's answer)`` of one request
    (the queries copied: the next request resets Django's query log)."""
    with override_settings(GRAPHQL_COMPILE=True), CaptureQueriesContext(connection) as captured:
        answer = client.post(query, variables)
    queries = list(captured.captured_queries)
    with override_settings(GRAPHQL_COMPILE=False):
        general = client.post(query, variables)
    return answer, queries, general


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("chains", [1, 30])
@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (LOCATIONS_QUERY, None),
        (PAYERS_QUERY, None),
        (FRONTEND_PAGE, {"first": 100}),
        (PAYER_SEARCH, {"search": "payer of"}),
        (HIERARCHY_PAGE, {"first": 7, "after": None}),
        (HIERARCHY_PAGE, {"first": 7, "after": "the 7th row's cursor"}),
    ],
)
def test_a_compiled_read_is_one_statement(viewer, make_chains, chains, query, variables):
    # given 1 or 30 region > district > municipality > village chains with payers
    make_chains(chains)
    authentication = AUTH_QUERIES
    if variables and variables.get("after"):  # a page after a cursor of the general path
        with override_settings(GRAPHQL_COMPILE=False):
            seventh = viewer.data("{ locations(first: 7) { pageInfo { endCursor } } }")
        variables = {**variables, "after": seventh["locations"]["pageInfo"]["endCursor"]}
        authentication = WARM_AUTH_QUERIES  # the permissions are cached by that request
    # when a page is read with the compiler on
    answer, captured, general = both_paths(viewer, query, variables)
    # then the authentication's queries and ONE statement answered, as the general path
    assert len(captured) == authentication + 1, "\n".join(q["sql"] for q in captured)
    assert compiled(captured)
    assert "errors" not in answer
    assert answer == general


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("width", [1, 4])
def test_nested_lists_and_by_uuid_are_one_statement(viewer, make_tree, width):
    # given a region with width districts, width² municipalities, width³ villages
    region = make_tree(width)
    district = region.children.get(code="T0")
    # the first request reads the permissions, the second finds them cached
    reads = ((SUBTREE, region.uuid, AUTH_QUERIES), (ONE_LOCATION, district.uuid, WARM_AUTH_QUERIES))
    for query, uuid, authentication in reads:
        answer, captured, general = both_paths(viewer, query, {"uuid": str(uuid)})
        assert len(captured) == authentication + 1, "\n".join(q["sql"] for q in captured)
        assert answer == general and "errors" not in answer
    subtree = both_paths(viewer, SUBTREE, {"uuid": str(region.uuid)})[0]
    districts = subtree["data"]["location"]["children"]
    villages = [v for d in districts for w in d["children"] for v in w["children"]]
    assert len(villages) == width**3
    assert answer["data"]["location"]["children"] == [
        {"uuid": str(c.uuid), "code": c.code, "name": c.name, "type": "MUNICIPALITY"}
        for c in district.children.order_by("code")
    ]


#: A region's districts page by page, each with a page of its municipalities and of its
#: payers (connections over relations, nested in a connection over a relation).
NESTED_PAGES = """query ($uuid: UUID!, $first: Int, $after: String) {
  location(uuid: $uuid) {
    childrenConnection(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node {
        code
        childrenConnection(first: 2) { totalCount edges { node { code } } }
        payersConnection(first: 1) { totalCount pageInfo { hasNextPage } edges { node { name } } }
      } }
    }
  }
}"""


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("width", [2, 4])
def test_connections_over_relations_are_one_statement(viewer, make_tree, width):
    # given a region with width districts of width municipalities each
    region = make_tree(width)
    variables = {"uuid": str(region.uuid), "first": width - 1, "after": None}
    # when its districts are read a page at a time, each with its own pages
    answer, captured, general = both_paths(viewer, NESTED_PAGES, variables)
    # then one statement answered (after the authentication), as the general path
    assert len(captured) == AUTH_QUERIES + 1, "\n".join(q["sql"] for q in captured)
    assert compiled(captured) and answer == general and "errors" not in answer
    page = answer["data"]["location"]["childrenConnection"]
    districts = list(region.children.order_by("code"))
    assert page["totalCount"] == width
    assert [edge["node"]["code"] for edge in page["edges"]] == [d.code for d in districts[:-1]]
    municipalities = page["edges"][0]["node"]["childrenConnection"]
    assert municipalities["totalCount"] == width
    assert [m["node"]["code"] for m in municipalities["edges"]] == [
        m.code for m in districts[0].children.order_by("code")[:2]
    ]
    assert page["pageInfo"]["hasNextPage"] and not page["pageInfo"]["hasPreviousPage"]
    # and the next page, after the last cursor, is the last district, one statement too
    variables["after"] = page["pageInfo"]["endCursor"]
    answer, captured, general = both_paths(viewer, NESTED_PAGES, variables)
    assert len(captured) == WARM_AUTH_QUERIES + 1 and compiled(captured) and answer == general
    page = answer["data"]["location"]["childrenConnection"]
    assert [edge["node"]["code"] for edge in page["edges"]] == [districts[-1].code]
    assert page["pageInfo"]["hasPreviousPage"] and not page["pageInfo"]["hasNextPage"]


@postgresql_only
@pytest.mark.django_db
def test_pages_backward_are_one_statement(viewer, make_chains):
    # given 12 chains: 12 regions
    from modules.location.models import Location

    make_chains(12)
    query = """query ($before: String) { locations(filter: {type: REGION}, last: 5,
      before: $before) { totalCount edges { node { code } }
      pageInfo { hasNextPage hasPreviousPage startCursor } } }"""
    codes = sorted(Location.objects.filter(type="R").values_list("code", flat=True))
    pages, before = [], None
    while True:  # when the regions are read backward, five at a time
        answer, captured, general = both_paths(viewer, query, {"before": before})
        # then each page is one statement (after the authentication), as the general path
        assert len(captured) == (WARM_AUTH_QUERIES if pages else AUTH_QUERIES) + 1
        assert compiled(captured) and answer == general and "errors" not in answer
        page = answer["data"]["locations"]
        pages.append([edge["node"]["code"] for edge in page["edges"]])
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert pages == [codes[7:], codes[2:7], codes[:2]]


@postgresql_only
@pytest.mark.django_db
def test_values_are_formatted_as_the_general_path_formats_them(viewer, make_chains):
    (region,) = make_chains(1)
    region.validity_from = region.validity_from.replace(microsecond=0)  # no fraction
    region.male_population = 12
    region.save()
    query = (
        "{ locations(first: 3) { edges { cursor node { id uuid type validityFrom validityTo "
        "malePopulation femalePopulation __typename ... on Node { id } } } "
        "pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }"
    )
    answer, captured, general = both_paths(viewer, query)
    assert compiled(captured) and answer == general
    first = answer["data"]["locations"]["edges"][0]
    assert first["node"]["id"] == base64.b64encode(f"Location:{region.pk}".encode()).decode()
    assert first["node"]["validityFrom"] == region.validity_from.isoformat()
    assert "." not in first["node"]["validityFrom"]  # isoformat() writes no ".000000"
    district = region.children.get()
    district.validity_from = district.validity_from.replace(microsecond=250)
    district.save()
    answer, captured, general = both_paths(
        viewer,
        "{ locations(filter: {type: DISTRICT}) { edges { node { validityFrom } } } }",
    )
    assert compiled(captured) and answer == general
    assert answer["data"]["locations"]["edges"][0]["node"]["validityFrom"].endswith(".000250+00:00")
    assert (first["node"]["type"], first["node"]["malePopulation"]) == ("REGION", 12)
    # keyset: the connection's tag and the order's keys
    assert first["cursor"] == encode("location.location code", [region.code, region.pk])


@postgresql_only
@pytest.mark.django_db
def test_the_compiled_json_is_sent_as_the_database_wrote_it(gql_as, make_chains):
    make_chains(2)
    client = gql_as(*VIEWER)
    response = client.client.post(
        "/graphql",
        data=json.dumps({"query": '{ payers(filter: {search: "Payer of R1"}) { totalCount } }'}),
        content_type="application/json",
    )
    assert response.content == b'{"data":{"payers" : {"totalCount" : 2}}}'


@postgresql_only
@pytest.mark.django_db
def test_a_cursor_of_another_connection_is_refused_on_both_paths(gql, make_chains):
    # given the end cursors of the regions and of the payers, each from its own path
    make_chains(3)
    cursors = {}
    for compile_reads, root in ((True, "locations"), (False, "payers")):
        with override_settings(GRAPHQL_COMPILE=compile_reads):
            query = f"{{ {root}(first: 2) {{ pageInfo {{ endCursor }} }} }}"
            cursors[root] = gql.data(query)[root]["pageInfo"]["endCursor"]
    assert encode("location.location code", ["R1", 0])[:12] == cursors["locations"][:12]
    # when each is given to the other connection (the keys' types fit: a text and the id)
    for root, cursor in (("payers", cursors["locations"]), ("locations", cursors["payers"])):
        answer = not_compiled(gql, f'{{ {root}(first: 3, after: "{cursor}") {{ totalCount }} }}')
        # then both paths refuse it
        order = "code" if root == "locations" else "name"
        assert [(e["message"], e["extensions"]["code"]) for e in answer["errors"]] == [
            (
                f"Argument 'after' is not a cursor of this connection (ordered by {order}).",
                "BAD_USER_INPUT",
            )
        ]


def not_compiled(client, query: str, variables: dict | None = None) -> dict:
    """The answer of a read the compiler must leave to the general executor (asserted),
    checked equal to the general executor's own answer."""
    answer, captured, general = both_paths(client, query, variables)
    assert not compiled(captured), "\n".join(q["sql"] for q in captured)
    assert answer == general
    return answer


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "code"),
    [
        ('{ locations(first: 1, before: "YXJyYXljb25uZWN0aW9uOjE=") { totalCount } }', None),
        ("{ locations(first: 1001) { totalCount } }", "BAD_USER_INPUT"),
        ("{ locations(first: -1) { totalCount } }", "BAD_USER_INPUT"),
        ('{ locations(after: "bm90IGEgY3Vyc29y") { totalCount } }', "BAD_USER_INPUT"),
        (
            '{ locations(filter: {parent: "6f1c1b0e-0000-4000-8000-000000000000"}) '
            "{ totalCount } }",
            "BAD_USER_INPUT",
        ),
        ('{ locations(filter: {nameContains: "' + "x" * 201 + '"}) { totalCount } }', None),
        (
            '{ locations(validity: {at: "2020-01-01T00:00:00Z", includeHistory: true}) '
            "{ totalCount } }",
            "BAD_USER_INPUT",
        ),
        ("{ locations(orderBy: [{field: CODE}, {field: CODE}]) { totalCount } }", None),
        ('{ node(id: "UGF5ZXI6eA==") { id } }', "BAD_USER_INPUT"),
        ("{ __schema { queryType { name } } }", None),
        ('{ locations { edges { node { code } } } __type(name: "Location") { name } }', None),
    ],
)
def test_reads_ending_in_errors_or_unsupported_go_to_the_general_path(
    gql, make_chains, query, code
):
    make_chains(2)
    answer = not_compiled(gql, query)
    if code is not None:
        assert answer["errors"][0]["extensions"]["code"] == code


@postgresql_only
@pytest.mark.django_db
def test_a_missing_permission_goes_to_the_general_path(gql_as, make_chains):
    make_chains(1)
    locations_only = gql_as("location.view_location")
    answer = not_compiled(locations_only, "{ locations { edges { node { payers { name } } } } }")
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert answer["data"]["locations"]["edges"][0]["node"]["payers"] is None
    payers_only = gql_as("payer.view_payer")
    answer = not_compiled(payers_only, "{ payers { edges { node { location { code } } } } }")
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # and with the permission the same read is compiled
    answer, captured, general = both_paths(
        gql_as(*VIEWER), "{ locations { edges { node { payers { name } } } } }"
    )
    assert compiled(captured) and answer == general


@postgresql_only
@pytest.mark.django_db
def test_anonymous_and_mutations_go_to_the_general_path(client, gql, make_chains, settings):
    from conftest import GraphQLClient

    (region,) = make_chains(1)
    anonymous = not_compiled(GraphQLClient(client), "{ locations { totalCount } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    mutation = (
        'mutation($u: UUID!) { updateLocation(input: {uuid: $u, name: "Renamed"}) '
        "{ location { name } } }"
    )
    settings.GRAPHQL_COMPILE = True
    with CaptureQueriesContext(connection) as captured:
        answer = gql.data(mutation, {"u": str(region.uuid)})
    assert answer == {"updateLocation": {"location": {"name": "Renamed"}}}
    assert not compiled(captured)


@postgresql_only
@pytest.mark.django_db
def test_graphql_compile_false_turns_the_compiler_off(viewer, make_chains, settings):
    make_chains(1)
    settings.GRAPHQL_COMPILE = False
    with CaptureQueriesContext(connection) as captured:
        viewer.data("{ locations { totalCount } }")
    assert not compiled(captured)


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("prepared", [True, False])
def test_a_compiled_statement_is_prepared_after_five_runs(viewer, make_chains, settings, prepared):
    # given two chains and DATABASE_PREPARED_STATEMENTS on or off
    make_chains(2)
    settings.DATABASE_PREPARED_STATEMENTS = prepared
    alias = f"probe{prepared}"  # names this test's statement in pg_prepared_statements
    query = (
        f"query($code: String) {{ {alias}: locations(filter: {{code: $code}}) "
        "{ totalCount edges { node { name } } } }"
    )
    # when one read runs six times with other values (psycopg prepares at the fifth)
    answers = []
    for code in ["R0", "R1", "R0D", "R1D", "none", "R1DWV"]:
        with CaptureQueriesContext(connection) as captured:
            answers.append(viewer.data(query, {"code": code})[alias])
        assert compiled(captured)
    # then each answer is its value's, and the connection holds the statement prepared,
    # its values as parameters ($1), only when the setting is on
    names = [[edge["node"]["name"] for edge in answer["edges"]] for answer in answers]
    assert names == [["Region 0"], ["Region 1"], ["District 0"], ["District 1"], [], ["Village 1"]]
    assert [answer["totalCount"] for answer in answers] == [1, 1, 1, 1, 0, 1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%'{alias}'%"],
        )
        statements = [row[0] for row in cursor.fetchall()]
    assert len(statements) == (1 if prepared else 0)
    assert all("$1" in statement and "R1D" not in statement for statement in statements)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's behaviour")
@pytest.mark.django_db
def test_sqlite_reads_run_the_general_executor(viewer, make_chains, settings):
    make_chains(1)
    settings.GRAPHQL_COMPILE = True
    with CaptureQueriesContext(connection) as captured:
        data = viewer.data("{ locations { totalCount } }")
    assert data == {"locations": {"totalCount": 4}}
    assert not compiled(captured)


def keyset_reference(values: list) -> str:
    """The agreed keyset cursor format, in Python (see backend.graphql.compiler.cursors)."""
    payload = json.dumps(values, ensure_ascii=False).encode()
    return "k2:" + base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


@postgresql_only
@pytest.mark.django_db
def test_the_keyset_cursor_in_sql_equals_the_python_reference(make_chains):
    from django.db.models import F, TextField, Value
    from django.db.models.functions import Cast, Lower

    from backend.graphql.compiler.cursors import KeysetCursor
    from modules.payer.models import Payer

    make_chains(2)
    names = ['Quote " and \\ back', "ភ្នំពេញ Ñandú", "Tab\tand\nline", "~?>>>", "x" * 70]
    for i, name in enumerate(names):
        Payer.objects.create(name=name, type="G", email=None if i % 2 else f"E{i}@x.org")
    rows = Payer.objects.annotate(
        cursor=KeysetCursor(
            Cast(Value("payer.payer name, email"), TextField()),
            Lower("name"),
            F("email"),
            F("validity_from"),
            F("pk"),
        )
    )
    checked = 0
    for row in rows:
        micros = round(row.validity_from.timestamp() * 1_000_000)
        expected = keyset_reference(
            ["payer.payer name, email", row.name.lower(), row.email, micros, row.pk]
        )
        assert row.cursor == expected, (row.name, row.cursor, expected)
        checked += 1
    assert checked == Payer.objects.count() == 13


@postgresql_only
@pytest.mark.django_db
def test_a_statement_is_compiled_once_and_its_permissions_checked_each_time(
    gql_as, make_chains, monkeypatch
):
    from django.contrib.auth.models import Permission, User

    from backend.graphql import compiler

    make_chains(1)
    compilations = []
    compile_operation = compiler.compile_operation
    monkeypatch.setattr(
        compiler, "compile_operation", lambda c: compilations.append(1) or compile_operation(c)
    )
    client = gql_as(*VIEWER, username="revoked-later")
    query = "{ locations(first: 2) { edges { node { code payers { name } } } } }"
    first, captured, general = both_paths(client, query)
    again, captured_again, _ = both_paths(client, query)
    assert compiled(captured) and compiled(captured_again)
    assert first == again == general and len(compilations) == 1
    # when the user loses payer.view_payer, the statement is not reused: the permissions
    # are part of its key; compiling again finds the permission missing
    User.objects.get(username="revoked-later").user_permissions.remove(
        Permission.objects.get(codename="view_payer")
    )
    answer = not_compiled(client, query)
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert len(compilations) == 2


@postgresql_only
@pytest.mark.django_db
def test_what_the_viewer_may_change_is_compiled_as_the_general_path_answers(gql_as, make_tree):
    # given a district editor of the region's first district (upper levels right too)
    region = make_tree(2)
    district = region.children.get(code="T0")
    editor = gql_as(
        *VIEWER,
        *(f"location.{p}_location" for p in ("add", "change")),
        "location.manage_upper_levels",
        districts=[district],
    )
    fields = "code viewerCanChange viewerCanDelete viewerCanAddChild"
    query = f"""query ($uuid: UUID!) {{ location(uuid: $uuid) {{ {fields}
        children {{ {fields} children {{ {fields} }} }} }} }}"""
    # when the region is read with its districts and municipalities
    answer, captured, general = both_paths(editor, query, {"uuid": str(region.uuid)})
    # then one statement answers as the general path: the region and the other district
    # are read only, the editor's district and below may be changed and added to
    assert compiled(captured)
    assert answer == general and "errors" not in answer
    location = answer["data"]["location"]
    assert (location["viewerCanChange"], location["viewerCanAddChild"]) == (False, False)
    assert [
        (d["code"], d["viewerCanChange"], d["viewerCanAddChild"]) for d in location["children"]
    ] == [("T0", True, True)]
    assert {
        (w["code"], w["viewerCanChange"], w["viewerCanDelete"])
        for w in location["children"][0]["children"]
    } == {
        ("T00", True, False),
        ("T01", True, False),
    }
