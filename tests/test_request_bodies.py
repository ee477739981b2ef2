"""Request bodies too large (413) or nested too deeply, not UTF-8, not JSON (400): each
surface answers in its own error format, names the problem, writes nothing and logs no
server error (one mechanism: ``backend/request_body.py``)."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from modules.location.models import Location
from tests.api_helpers import validated

pytestmark = pytest.mark.django_db

TOO_BIG = "The request body is larger than 262,144 bytes (GRAPHQL_MAX_BODY_BYTES)."
TOO_DEEP = "The request nests lists and objects more than 20 levels deep (GRAPHQL_MAX_INPUT_DEPTH)."
NOT_JSON = (
    "The request body is not valid JSON. Expecting property name enclosed in double quotes: "
    "line 1 column 2 (char 1)."
)
NOT_UTF8 = "The request body is not UTF-8 (byte 34)."
DEEP = b"[" * 100_000 + b"]" * 100_000  # RecursionError in json.loads
# a 5 MB resource and mutation: valid but for their size
BIG_LOCATION = {"resourceType": "Location", "name": "x" * 5_000_000, "physicalType": {}}
BIG_MUTATION = {
    "query": 'mutation { createLocation(input: {code: "R9", name: "Big", type: REGION}) '
    "{ errors { code } } }",
    "variables": {"padding": "x" * 5_000_000},
}
DEEP_RESOURCE = b'{"resourceType": "Location", "extension": ' + DEEP + b"}"
DEEP_MUTATION = b'{"query": "{ __typename }", "variables": {"v": ' + DEEP + b"}}"


def rows() -> list[tuple]:
    return list(Location.objects.values_list("pk", "name", "validity_to", "legacy_id"))


@pytest.fixture(autouse=True)
def _no_server_errors(caplog):
    with caplog.at_level(logging.ERROR):
        yield
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    ("body", "status", "message", "code"),
    [
        (json.dumps(BIG_MUTATION).encode(), 413, TOO_BIG, "LIMIT_EXCEEDED"),
        (DEEP_MUTATION, 400, TOO_DEEP, "LIMIT_EXCEEDED"),
        (b"{nope", 400, NOT_JSON, "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "x": "\xff"}', 400, NOT_UTF8, "BAD_REQUEST"),
    ],
)
def test_graphql(admin_client, body, status, message, code):
    response = admin_client.post("/graphql", body, content_type="application/json")
    assert rows() == []  # nothing written
    assert response.status_code == status
    assert response.json() == {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": code}}],
    }


@pytest.mark.parametrize("method", ["post", "put"])
@pytest.mark.parametrize(
    ("body", "status", "message", "issue"),
    [
        (json.dumps(BIG_LOCATION).encode(), 413, TOO_BIG, "too-long"),
        (DEEP_RESOURCE, 400, TOO_DEEP, "invalid"),
        (b"{nope", 400, NOT_JSON, "invalid"),
        (b'{"resourceType": "\xff"}', 400, "The request body is not UTF-8 (byte 18).", "invalid"),
    ],
)
def test_fhir(admin_client, make_chains, method, body, status, message, issue):
    url = "/fhir/Location"
    if method == "put":
        make_chains(1, regions_only=True)
        url += f"/{Location.objects.get().uuid}"
    before = rows()
    response = getattr(admin_client, method)(url, body, content_type="application/fhir+json")
    assert rows() == before  # nothing written
    assert response.status_code == status
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert validated(response.json()) == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": issue, "diagnostics": message}],
    }


def test_fhir_refuses_a_large_body_before_authentication_and_its_csrf_check(admin_client):
    # a session's POST goes through Django's CSRF check, which reads a form body
    form = "name=" + "x" * 3_000_000
    response = admin_client.post(
        "/fhir/Location", form, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert response.json()["issue"][0]["diagnostics"] == TOO_BIG
    anonymous = Client().post("/fhir/Location", form, content_type="application/fhir+json")
    assert anonymous.status_code == 413


@pytest.mark.parametrize("method", ["get", "post"])
def test_jsonapi_refuses_a_large_body(admin_client, method):
    big = json.dumps({"data": {"type": "locations", "attributes": {"name": "x" * 5_000_000}}})
    response = admin_client.generic(
        method.upper(), "/api/locations", big, content_type="application/vnd.api+json"
    )
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "detail": TOO_BIG,
                "status": "413",
                "code": "limit_exceeded",
            }
        ]
    }


@pytest.mark.parametrize("body", [DEEP, b"{nope"])
def test_jsonapi_reads_no_body(admin_client, body):
    # read-only: a write is refused (405) before any body is parsed, so none can fail
    response = admin_client.post("/api/locations", body, content_type="application/vnd.api+json")
    assert response.status_code == 405
    assert response.json()["errors"][0]["detail"] == 'Method "POST" not allowed.'
