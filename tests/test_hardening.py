"""Issue 10 (hardening): each input an attacker tried gets a bounded, coded refusal.

Bounds are asserted as counts (fields, objects, values) or refusals, never as time.
"""

from __future__ import annotations

import base64
import json
import logging

import pytest
from django.db import OperationalError
from django.test import Client
from graphql import parse
from psycopg_pool import PoolTimeout

from backend.graphql import cost
from backend.graphql.cost import estimate_nodes, expanded_fields
from backend.graphql.federation import get_subgraph

pytestmark = pytest.mark.django_db


def post(client: Client, body: dict | bytes, path: str = "/graphql", **headers):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(path, data, content_type="application/json", headers=headers)


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


def fragment_bomb(n: int) -> str:
    """``query { ...F0 }`` where F<k> spreads F<k+1> twice: 2^(n-1) fields expanded."""
    fragments = " ".join(f"fragment F{k} on Query {{ ...F{k + 1} ...F{k + 1} }}" for k in range(n))
    return f"query {{ ...F0 }} {fragments} fragment F{n} on Query {{ __typename }}"


# --- 1. fragments that double at every level ---------------------------------------


def test_expanded_fields_are_counted_without_expanding():
    assert expanded_fields(parse(fragment_bomb(25))) == 2**25
    assert expanded_fields(parse("{ a { b c } ...F } fragment F on Q { d { e } }")) == 5
    # a cycle or an unknown fragment counts nothing: validation reports them
    assert expanded_fields(parse("{ ...A } fragment A on Q { x ...A }")) == 1
    assert expanded_fields(parse("{ ...Missing }")) == 0


def test_own_fields_visits_each_definition_once(monkeypatch):
    calls = []
    own = cost._own_fields
    monkeypatch.setattr(cost, "_own_fields", lambda s: calls.append(1) or own(s))
    expanded_fields(parse(fragment_bomb(26)))
    assert len(calls) == 28  # the operation and 27 fragments, not 2^26 spreads


def test_an_anonymous_fragment_bomb_is_refused_before_validation(monkeypatch):
    from strawberry.extensions import ValidationCache

    validated = []
    real = ValidationCache.on_validate

    def spy(self):
        validated.append(1)
        yield from real(self)

    monkeypatch.setattr(ValidationCache, "on_validate", spy)
    response = post(Client(), {"query": fragment_bomb(25)})  # the F0 … F25
    body = response.json()
    assert codes(body) == ["LIMIT_EXCEEDED"]
    assert body["errors"][0]["message"] == (
        "The document selects 33,554,432 fields once its fragments are expanded; the "
        "limit is 5,000 (GRAPHQL_MAX_FIELDS). Spread fewer fragments."
    )
    assert validated == []


# --- 2. and 3. federation _entities ----------------------------------------------------

REGION_SUBTREE = """query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Location { children { children { code } } }
  }
}"""


@pytest.fixture
def admin_client(make_user):
    client = Client()
    client.force_login(make_user("admin", superuser=True))
    return client


def test_entities_count_one_object_per_representation():
    schema = get_subgraph("location")._schema
    reps = [{"__typename": "Location", "uuid": "75250515-40d7-4c77-bafe-a2c65ffc5a72"}] * 3000
    document = parse(REGION_SUBTREE)
    # per representation: the location, 20 children, 400 grandchildren
    assert estimate_nodes(schema, document, None, {"representations": reps}) == 3000 * 421


def test_three_thousand_representations_are_refused(admin_client, db, settings):
    settings.GRAPHQL_MAX_INPUT_VALUES = 100_000  # the node limit refuses them too
    from modules.location.models import Location

    region = Location.objects.create(code="R1", name="Region", type="R")
    for d in range(6):  # 6 districts of 6 municipalities: 43 objects per representation
        district = Location.objects.create(code=f"D{d}", name="D", type="D", parent=region)
        for w in range(6):
            Location.objects.create(code=f"W{d}{w}", name="W", type="W", parent=district)
    reps = [{"__typename": "Location", "uuid": str(region.uuid)}] * 3000
    body = post(
        admin_client,
        {"query": REGION_SUBTREE, "variables": {"representations": reps}},
        path="/graphql/location",
    ).json()
    assert codes(body) == ["LIMIT_EXCEEDED"]
    # estimated from the rows: each location has at most 6 children
    assert "129,000 objects" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("x", "A representation must be an object with __typename and the key, not a string."),
        (
            {"__typename": 5, "uuid": "x"},
            "A representation's __typename must be the name of an entity of this subgraph, "
            "not a number.",
        ),
        (
            {"__typename": ["Location"]},
            "A representation's __typename must be the name of an entity of this subgraph, "
            "not an array.",
        ),
        (
            {"__typename": None, "uuid": "x"},
            "A representation's __typename must be the name of an entity of this subgraph, "
            "not null.",
        ),
        ({"uuid": "x"}, "A representation needs __typename, an entity of this subgraph."),
        ({"__typename": "Payer"}, "'Payer' is not an entity of this subgraph."),
        (
            {"__typename": "Location", "uuid": 75250515},
            "Representation of Location needs a valid 'uuid'.",
        ),
        (
            {"__typename": "Location", "uuid": True},
            "Representation of Location needs a valid 'uuid'.",
        ),
    ],
)
def test_one_bad_representation_spoils_only_itself(admin_client, make_chains, bad, message):
    (region,) = make_chains(1, regions_only=True)
    reps = [{"__typename": "Location", "uuid": str(region.uuid)}, bad]
    body = post(
        admin_client,
        {
            "query": "query ($r: [_Any!]!) { _entities(representations: $r) "
            "{ ... on Location { code } } }",
            "variables": {"r": reps},
        },
        path="/graphql/location",
    ).json()
    assert body["data"]["_entities"] == [{"code": "R0"}, None]
    assert [(e["path"], e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["_entities", 1], message, "BAD_USER_INPUT")
    ]


#: The request a federation gateway (Hive Gateway) sends a subgraph for a page's entities.
GATEWAY_ENTITIES = (
    "query ($representations: [_Any!]!) { _entities(representations: $representations) "
    "{ ... on Location { code } } }"
)


def test_a_page_of_representations_fits_the_input_limits(admin_client, db, settings):
    # GRAPHQL_MAX_PAGE_SIZE rows of a page are one _entities request of as many
    # representations: 5 values and about 75 bytes each. 999 of them (4,995 values) were
    # refused by a limit of 5,000 values: the default is derived from the page size.
    from modules.location.models import Location, rebuild_paths

    assert settings.GRAPHQL_MAX_PAGE_SIZE == 1000
    regions = Location.objects.bulk_create(
        Location(code=f"R{n:04}", name=f"Region {n}", type="R") for n in range(1000)
    )
    rebuild_paths()
    reps = [{"__typename": "Location", "uuid": str(region.uuid)} for region in regions]
    page = {"query": GATEWAY_ENTITIES, "variables": {"representations": reps}}
    # each representation is at most REPRESENTATION_BYTES: the page passes the lowest body
    # limit start-up accepts (tests/test_configuration.py)
    assert len(json.dumps(reps)) <= 76 * 1000 <= settings.REPRESENTATION_BYTES * 1000
    settings.GRAPHQL_MAX_BODY_BYTES = settings.GATEWAY_PAGE_BYTES
    response = post(admin_client, page, path="/graphql/location")
    assert response.status_code == 200
    assert response.json() == {"data": {"_entities": [{"code": r.code} for r in regions]}}
    # beyond the limit: more representations than a page holds, refused before parsing
    reps += reps[:200]  # 1,200: 6,000 values and the request's own
    response = post(
        admin_client,
        {"query": GATEWAY_ENTITIES, "variables": {"representations": reps}},
        path="/graphql/location",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "message": "The request holds more than 6,000 values (GRAPHQL_MAX_INPUT_VALUES): "
            "send less at once.",
            "extensions": {"code": "LIMIT_EXCEEDED"},
        }
    ]


# --- 4. and 5. variables: how many, how deep ----------------------------------------------


ORDERED = "query ($o: [LocationOrder!]) { locations(orderBy: $o) { totalCount } }"


def test_a_hundred_thousand_order_criteria_are_refused_before_reading(gql):
    criteria = [{"field": "NAME"}] * 100_000  # 1.7 MB
    response = post(gql.client, {"query": ORDERED, "variables": {"o": criteria}})
    assert response.status_code == 413
    assert response.json()["errors"] == [
        {
            "message": "The request body is larger than 262,144 bytes (GRAPHQL_MAX_BODY_BYTES).",
            "extensions": {"code": "LIMIT_EXCEEDED"},
        }
    ]


def test_more_values_than_the_limit_are_refused_before_parsing_the_document(gql):
    criteria = [{"field": "NAME"}] * 3_000  # 52 KB, 6,003 values with the body's own
    response = post(gql.client, {"query": ORDERED, "variables": {"o": criteria}})
    assert response.status_code == 400
    assert codes(response.json()) == ["LIMIT_EXCEEDED"]
    assert "more than 6,000 values" in response.json()["errors"][0]["message"]


def test_an_order_criterion_is_given_once(gql):
    body = gql.post(
        "{ locations(orderBy: [{field: NAME}, {field: CODE}, {field: NAME, direction: DESC}]) "
        "{ totalCount } }"
    )
    assert (
        body["errors"][0]["message"] == "orderBy names the field NAME twice; name each field once."
    )
    assert codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("levels", [21, 320, 100_000])
def test_deeply_nested_variables_are_refused_in_json(caplog, levels):
    nested = "[" * levels + "]" * levels
    body = b'{"query": "query($v: [Int]) { __typename }", "variables": {"v": ' + nested.encode()
    body += b"}}"
    with caplog.at_level(logging.ERROR):
        response = post(Client(), body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert codes(response.json()) == ["LIMIT_EXCEEDED"]
    assert "Traceback" not in caplog.text


def test_deeply_nested_get_variables_are_refused():
    # variables are an object (a list there is a BAD_REQUEST of its own: member_problem)
    nested = '{"v": ' + "[" * 320 + "]" * 320 + "}"
    response = Client().get("/graphql", {"query": "{ __typename }", "variables": nested})
    assert response.status_code == 400
    assert codes(response.json()) == ["LIMIT_EXCEEDED"]


# --- 6. global ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("Node:1", "'Node' is not a type of object with a global id"),
        ("UserError:1", "'UserError' is not a type of object with a global id"),
        ("Location:" + "9" * 4301, "is not the key of a Location global id."),
        ("Location:99999999999999999999", "is not the key of a Location global id."),
    ],
)
def test_malformed_global_ids_are_bad_input(gql, caplog, raw, message):
    gid = base64.b64encode(raw.encode()).decode()
    with caplog.at_level(logging.ERROR, logger="backend.graphql"):
        body = gql.post("query($id: ID!) { node(id: $id) { id } }", {"id": gid})
    assert body["data"] == {"node": None}
    assert message in body["errors"][0]["message"]
    assert codes(body) == ["BAD_USER_INPUT"]
    assert caplog.text == ""


@pytest.mark.parametrize("value", ["garbage", "!!", "", "Location:1"])
@pytest.mark.parametrize("as_variable", [True, False])
def test_a_value_that_is_not_a_global_id_is_bad_input(gql, value, as_variable):
    """Not base64 of ``Type:key`` at all (strawberry cannot convert the argument):
    a BAD_USER_INPUT naming the value, whether a variable or a literal."""
    if as_variable:
        body = gql.post("query($id: ID!) { node(id: $id) { id } }", {"id": value})
    else:
        body = gql.post("{ node(id: " + json.dumps(value) + ") { id } }")
    assert body["data"] == {"node": None}
    assert body["errors"][0]["message"] == f'Value cannot represent a GlobalID: "{value}".'
    assert codes(body) == ["BAD_USER_INPUT"]


# --- 7. every error has a code; database faults are retryable ----------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ locations { totalCount } ", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ locations(first: 100000) { totalCount } }", "BAD_USER_INPUT"),
        ('{ location(uuid: "x") { code } }', "GRAPHQL_VALIDATION_FAILED"),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }", "LIMIT_EXCEEDED"),
        ("{ " + "__typename " * 2001 + "}", "LIMIT_EXCEEDED"),
        (
            "{ locations { edges { node { " + "parent { " * 12 + "code" + " }" * 12 + " } } } }",
            "LIMIT_EXCEEDED",
        ),
    ],
)
def test_request_errors_carry_a_code(gql, query, code):
    assert codes(gql.post(query)) == [code]


def test_variable_errors_are_bad_user_input(gql):
    body = gql.post("query($u: UUID!) { location(uuid: $u) { code } }", {"u": "nope"})
    assert codes(body) == ["BAD_USER_INPUT"]


def test_authentication_and_permission_errors_carry_a_code(gql_as):
    anonymous = post(Client(), {"query": "{ locations { totalCount } }"}).json()
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    payers_only = gql_as("payer.view_payer").post("{ locations { totalCount } }")
    assert codes(payers_only) == ["FORBIDDEN"]


def test_a_bug_is_masked_with_a_code(gql, monkeypatch):
    from backend.graphql import queries

    monkeypatch.setattr(queries, "apply_validity", lambda *a, **k: 1 / 0)
    body = gql.post("{ locations { totalCount } }")
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("Unexpected error.", "INTERNAL_SERVER_ERROR")
    ]


def test_a_database_fault_during_execution_is_a_503_to_retry(gql, monkeypatch):
    from backend.graphql import queries

    def lost(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(queries, "apply_validity", lost)
    response = post(gql.client, {"query": "{ locations { totalCount } }"})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert codes(response.json()) == ["SERVICE_UNAVAILABLE"]
    assert "Retry" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "fault",
    [
        OperationalError("server closed the connection unexpectedly"),
        # psycopg_pool's timeout is not wrapped by Django: it is a database fault too
        PoolTimeout("couldn't get a connection after 10.00 sec"),
    ],
    ids=["lost-connection", "exhausted-pool"],
)
def test_a_database_fault_during_the_token_lookup_is_a_503(monkeypatch, fault):
    from backend import views

    def lookup(request):
        raise fault

    monkeypatch.setattr(views, "_token_user", lookup)
    response = post(Client(), {"query": "{ __typename }"}, Authorization="Bearer abc")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert codes(response.json()) == ["SERVICE_UNAVAILABLE"]


def test_a_database_fault_in_any_other_view_is_a_json_503(monkeypatch):
    from oauth2_provider.views import TokenView

    def lost(*args, **kwargs):
        raise OperationalError("the connection pool timed out")

    monkeypatch.setattr(TokenView, "post", lost)
    client = Client(raise_request_exception=False)
    response = client.post("/o/token/", {"grant_type": "client_credentials"})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert codes(response.json()) == ["SERVICE_UNAVAILABLE"]


def test_a_transport_error_is_json(gql):
    response = post(gql.client, {"variables": {}})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "message": "No GraphQL query found in the request",
        "extensions": {"code": "BAD_REQUEST"},
    }


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_elsewhere_gives_a_503_after_the_lock_timeout(make_user):
    """PostgreSQL's lock_timeout (DATABASE_LOCK_TIMEOUT) ends the wait: the request
    answers 503 to retry instead of holding the worker until gunicorn kills it."""
    import threading

    from django.db import connection, connections, transaction

    from modules.location.models import Location

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: set DATABASE_URL=postgres://...")
    region = Location.objects.create(code="R1", name="Region", type="R")
    client = Client()
    client.force_login(make_user("admin", superuser=True))
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            Location.objects.select_for_update().get(pk=region.pk)
            locked.set()
            release.wait(30)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        response = post(
            client,
            {
                "query": "mutation ($u: UUID!) { updateLocation(input: {uuid: $u, "
                'name: "Other"}) { errors { code } } }',
                "variables": {"u": str(region.uuid)},
            },
        )
    finally:
        release.set()
        holder.join(30)
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert codes(response.json()) == ["SERVICE_UNAVAILABLE"]
    assert Location.objects.get(pk=region.pk).name == "Region"
