"""One limit for the text of a filter or a search, on every surface (backend.text).

A GraphQL filter's text field, a JSON:API ``filter[...]`` value (each item of a list
filter) and ``filter[search]``, a FHIR search value (each of its comma-separated
alternatives) take at most ``FILTER_TEXT_LIMIT`` characters; one more is refused, naming
the parameter as the client sent it.
"""

import pytest

from backend.text import FILTER_TEXT_LIMIT
from modules.location.tests.trees import create_tree

pytestmark = pytest.mark.django_db

AT_LIMIT = "a" * FILTER_TEXT_LIMIT
OVER = "a" * (FILTER_TEXT_LIMIT + 1)
REFUSAL = f"has {FILTER_TEXT_LIMIT + 1} characters; at most {FILTER_TEXT_LIMIT}."


@pytest.fixture(autouse=True)
def world():
    return create_tree("ultha=R1")


def graphql(admin, text):
    query = "query($t: String) { locations(filter: {nameContains: $t}) { totalCount } }"
    response = admin.post(
        "/graphql", {"query": query, "variables": {"t": text}}, content_type="application/json"
    )
    errors = response.json().get("errors") or []
    return response.status_code, errors[0]["message"] if errors else None


def jsonapi(parameter):
    def ask(admin, text):
        response = admin.get("/api/locations", {parameter: text})
        errors = response.json().get("errors") or []
        return response.status_code, errors[0]["detail"] if errors else None

    return ask


def jsonapi_list_item(admin, text):
    return jsonapi("filter[type.in]")(admin, f"R,{text}")


def fhir(parameter):
    def ask(admin, text):
        response = admin.get("/fhir/Location", {parameter: f"x,{text}"})
        body = response.json()
        refused = body.get("resourceType") == "OperationOutcome"
        return response.status_code, body["issue"][0]["diagnostics"] if refused else None

    return ask


SURFACES = {
    "GraphQL filter.nameContains": (graphql, "filter.nameContains"),
    "JSON:API filter[name.icontains]": (
        jsonapi("filter[name.icontains]"),
        "filter[name.icontains]",
    ),
    "JSON:API filter[search]": (jsonapi("filter[search]"), "filter[search]"),
    "JSON:API filter[type.in] item": (jsonapi_list_item, "filter[type.in]"),
    "FHIR name": (fhir("name"), "name"),
    "FHIR name:contains": (fhir("name:contains"), "name:contains"),
}


@pytest.mark.parametrize("surface", SURFACES)
def test_one_character_over_the_limit_is_refused_naming_the_parameter(admin, surface):
    ask, parameter = SURFACES[surface]
    status, message = ask(admin, OVER)
    assert (status, message) == (
        200 if surface.startswith("GraphQL") else 400,
        f"{parameter} {REFUSAL}",
    )


@pytest.mark.parametrize("surface", [s for s in SURFACES if "type.in" not in s])
def test_the_limit_itself_is_taken(admin, surface):
    ask, _ = SURFACES[surface]
    assert ask(admin, AT_LIMIT) == (200, None)
