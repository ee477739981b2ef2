"""Bad requests get a clear error, never a server error (found by trying it as a user)."""

import base64
import json

import pytest

from modules.location.models import Location

pytestmark = pytest.mark.django_db


def raw_post(client, body: bytes):
    return client.post("/graphql", body, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"null", "The request body must be a JSON object with a 'query'."),
        (b"5", "The request body must be a JSON object with a 'query'."),
        (b'"hi"', "The request body must be a JSON object with a 'query'."),
        (b'{"query": "{ __typename }", "x": "\xff"}', "The request body is not UTF-8 (byte 34)."),
        (
            json.dumps(
                {"query": '{ locations(filter: {search: "\\u0000"}) { totalCount } }'}
            ).encode(),
            "The request contains a NUL character (\\u0000), which no field accepts.",
        ),
        (
            json.dumps(
                {"query": "query($s: String) { __typename }", "variables": {"s": "a\x00"}}
            ).encode(),
            "The request contains a NUL character (\\u0000), which no field accepts.",
        ),
    ],
)
def test_unusable_bodies_are_400(gql, body, message):
    response = raw_post(gql.client, body)
    assert response.status_code == 400
    code = "BAD_USER_INPUT" if "NUL" in message else "BAD_REQUEST"
    assert response.json() == {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": code}}],
    }


@pytest.mark.parametrize(
    ("content_type", "named"),
    [
        ("text/plain", "'text/plain'"),
        ("application/graphql", "'application/graphql'"),
        ("", "none"),
    ],
)
def test_a_post_in_another_content_type_is_415_naming_json(gql, content_type, named):
    response = gql.client.post("/graphql", "{ __typename }", content_type=content_type)
    assert response.status_code == 415
    assert response.json()["errors"] == [
        {
            "message": f"Content type {named} is not supported: POST the GraphQL request as "
            "JSON (Content-Type: application/json), or send it as a GET with query, "
            "variables and operationName in the URL.",
            "extensions": {"code": "BAD_REQUEST"},
        }
    ]


def test_a_form_post_is_415_too(gql):
    response = gql.client.post("/graphql", {"query": "{ __typename }"})
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["errors"][0]["message"]


def cursor(offset: str) -> str:
    return base64.b64encode(f"arrayconnection:{offset}".encode()).decode()


@pytest.mark.parametrize("offset", ["0", "99999999999999999999999", "²", "٣", "-1", ""])
def test_offset_cursors_are_refused(gql, offset):
    # cursors are keyset cursors (tests/test_keyset_paging.py): strawberry's offset
    # cursors of before, odd offsets included, are refused, never a server error
    errors = gql.errors(f'{{ locations(after: "{cursor(offset)}") {{ totalCount }} }}')
    assert errors == ["Argument 'after' is not a cursor of this connection (ordered by code)."]


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (
            "2016-06-01T00:00:00",
            "validity.at needs a time zone, e.g. 2016-06-01T00:00:00Z or +03:00.",
        ),
        ("0001-01-01T00:00:00+05:00", "validity.at is out of range: 0001-01-01 00:00:00+05:00."),
    ],
)
def test_validity_dates_without_zone_or_out_of_range(gql, at, message):
    assert gql.errors(f'{{ locations(validity: {{at: "{at}"}}) {{ totalCount }} }}') == [message]


def test_names_sort_case_insensitively(gql):
    for code, name in [("A", "wat Kor"), ("B", "Yuthka"), ("C", "kaek yum"), ("D", "Sambuor")]:
        Location.objects.create(code=code, name=name, type="R")
    data = gql.data("{ locations(orderBy: [{field: NAME}]) { edges { node { name } } } }")
    names = [e["node"]["name"] for e in data["locations"]["edges"]]
    assert names == ["kaek yum", "Sambuor", "wat Kor", "Yuthka"]


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (
            "query ($p: [UUID!]) { locations(filter: {parents: $p}) { totalCount } }",
            {"p": [None]},
            "Variable '$p' has invalid value at [0]: Expected value of non-null type "
            "'UUID!' not to be null.",
        ),
        (
            "query ($f: LocationFilter) { locations(filter: $f) { totalCount } }",
            {"f": {"parents": [None]}},
            "Variable '$f' has invalid value at .parents[0]: Expected value of non-null "
            "type 'UUID!' not to be null.",
        ),
    ],
)
def test_a_null_where_the_type_is_non_null_is_named_null_not_none(gql, query, variables, message):
    """graphql-core says "not to be None", Python's word for the JSON null the client sent."""
    assert gql.errors(query, variables) == [message]


UUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


@pytest.mark.parametrize(
    ("query", "variables", "arguments"),
    [
        (  # a scalar that does not parse, in a nested input field
            "mutation ($i: UpdateLocationInput!) { updateLocation(input: $i) { __typename } }",
            {"i": {"uuid": UUID, "expectedValidityFrom": "yesterday"}},
            ["i.expectedValidityFrom"],
        ),
        (  # a time finer than the microsecond kept, at any depth of an input
            "query ($v: ValidityFilter) { locations(validity: $v) { totalCount } }",
            {"v": {"at": "2021-03-04T05:06:07.1234567Z"}},
            ["v.at"],
        ),
        (  # a required input field missing, another of the wrong type
            "mutation ($i: UpdateLocationInput!) { updateLocation(input: $i) { __typename } }",
            {"i": {"families": "many"}},
            ["i.uuid", "i.families"],
        ),
        (  # list items: every bad one, in order
            "query ($p: [UUID!]) { locations(filter: {parents: $p}) { totalCount } }",
            {"p": ["no-uuid", UUID, None]},
            ["p[0]", "p[2]"],
        ),
        (  # a list in an input object, an enum value that is none, two variables
            "query ($f: LocationFilter, $o: [LocationOrder!]) "
            "{ locations(filter: $f, orderBy: $o) { totalCount } }",
            {"f": {"parents": [UUID, 7]}, "o": [{"field": "NAME"}, {"field": "SIZE"}]},
            ["f.parents[1]", "o[1].field"],
        ),
        (  # a variable of the wrong type, a required one missing, an unknown input field
            "query ($n: Int, $u: UUID!, $f: LocationFilter) "
            "{ locations(first: $n, filter: $f) { totalCount } location(uuid: $u) { code } }",
            {"n": "ten", "f": {"nope": 1, "code": "R1"}},
            ["n", "u", "f.nope"],
        ),
        (  # problems with an input object as a whole, beside one of its fields
            "mutation ($i: UpdateLocationInput!, $j: UpdateLocationInput!) "
            "{ a: updateLocation(input: $i) { __typename } b: updateLocation(input: $j) "
            "{ __typename } }",
            {"i": {"x": 1, "families": "many", "y": 2}, "j": {"uuid": UUID, "code": 5}},
            ["i.uuid", "i.families", "i.x", "i.y", "j.code"],
        ),
    ],
)
def test_a_bad_variable_names_its_input_path(gql, query, variables, arguments):
    """A variable the server cannot coerce is named in ``extensions.argument`` (the variable,
    then its input fields and list positions), as resolvers name what they refuse."""
    errors = gql.post(query, variables)["errors"]
    assert [e["extensions"] for e in errors] == [
        {"code": "BAD_USER_INPUT", "argument": argument} for argument in arguments
    ]
    for error, argument in zip(errors, arguments, strict=True):  # the message as before
        variable = argument.split(".")[0].split("[")[0]
        assert error["message"].startswith(f"Variable '${variable}' has invalid value")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "query ($v: Int) { locations { totalCount } }",
            "Variable '$v' is never used.",
        ),
        (
            "query { locations(first: $x) { totalCount } }",
            "Variable '$x' is not defined.",
        ),
        (
            "query ($v: Int) { locations(filter: {code: $v}) { totalCount } }",
            "Variable '$v' of type 'Int' used in position expecting type 'String'.",
        ),
        (
            "query ($v: Location) { locations { totalCount } }",
            "Variable '$v' cannot be non-input type 'Location'.",
        ),
    ],
)
def test_a_variable_refused_by_validation_is_a_validation_error(gql, query, message):
    """Validation runs before the execution: its refusals of a variable are
    GRAPHQL_VALIDATION_FAILED, like the other validation errors, not BAD_USER_INPUT."""
    errors = gql.post(query)["errors"]
    assert message in [e["message"] for e in errors]
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    assert all("argument" not in e["extensions"] for e in errors)


@pytest.mark.parametrize(
    ("variables", "message", "argument"),
    [
        (
            {"n": "ten", "c": "R1"},
            "Variable '$n' has invalid value: Int cannot represent non-integer value: 'ten'",
            "n",
        ),
        (
            {"n": 1},
            "Variable '$c' has invalid value: Expected a value of non-null type 'String!' to "
            "be provided.",
            "c",
        ),
        (
            {"n": 1, "c": None},
            "Variable '$c' has invalid value: Expected value of non-null type 'String!' not "
            "to be null.",
            "c",
        ),
    ],
)
def test_a_variable_refused_by_coercion_stays_bad_user_input(gql, variables, message, argument):
    """A value that does not fit its variable's type is the client's input: BAD_USER_INPUT,
    naming the variable."""
    query = (
        "query ($n: Int, $c: String!) { locations(first: $n, filter: {code: $c}) { totalCount } }"
    )
    errors = gql.post(query, variables)["errors"]
    assert [e["extensions"] for e in errors] == [{"code": "BAD_USER_INPUT", "argument": argument}]
    assert errors[0]["message"] == message


QUERY = "{ locations(first: 1) { totalCount } }"
OPERATION = "The GraphQL operation's"
AN_OBJECT = "must be an object or null, if provided."


@pytest.mark.parametrize(
    ("member", "value", "wanted"),
    [
        ("operationName", 5, "a string"),
        ("operationName", True, "a string"),
        ("operationName", [], "a string"),
        ("operationName", {}, "a string"),
        ("query", ["{ __typename }"], "a string"),
        ("variables", "{}", "an object"),
        ("extensions", [], "an object"),
    ],
)
def test_a_request_member_of_another_json_type_is_400(gql, member, value, wanted):
    """Every member of the request is type-checked in one place (was: an operationName
    of 5 or true a 500-like INTERNAL_SERVER_ERROR, [] or {} read as the text "[]")."""
    response = raw_post(gql.client, json.dumps({"query": QUERY, member: value}).encode())
    assert response.status_code == 400
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": f"The GraphQL operation's `{member}` must be {wanted} or null, "
                "if provided.",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ],
    }


def test_null_members_are_taken_as_not_given(gql):
    body = {"query": QUERY, "operationName": None, "variables": None, "extensions": None}
    response = raw_post(gql.client, json.dumps(body).encode())
    assert response.json() == {"data": {"locations": {"totalCount": 0}}}


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"query": [QUERY, "x"]}, f"query is given 2 times ({QUERY}, x); give it once."),
        (
            {"query": "query A { __typename } query B { __typename }",
             "operationName": ["A", "B"]},
            "operationName is given 2 times (A, B); give it once.",
        ),
        (
            {"query": QUERY, "variables": ["{}", "{}"]},
            "variables is given 2 times ({}, {}); give it once.",
        ),
        ({"query": QUERY, "variables": "[1]"}, f"{OPERATION} `variables` {AN_OBJECT}"),
        ({"query": QUERY, "extensions": "5"}, f"{OPERATION} `extensions` {AN_OBJECT}"),
    ],
)  # fmt: skip
def test_a_get_parameter_is_given_once_and_of_its_type(gql, parameters, message):
    """A repeated GET parameter is refused as FHIR and JSON:API refuse one (was: the last
    one used); variables and extensions decode to objects, as in a POST."""
    response = gql.client.get("/graphql", parameters, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json() == {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}],
    }


def test_a_get_with_each_parameter_once_is_answered(gql):
    response = gql.client.get(
        "/graphql",
        {"query": "query A { __typename } query B { b: __typename }", "operationName": "B",
         "variables": "{}", "extensions": "{}"},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert response.json() == {"data": {"b": "Query"}}
