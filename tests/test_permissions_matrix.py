"""Who may read and change what: every query field and mutation, for every role.

The cases come from the active modules' manifests (``Manifest.samples``, read through
``tests/samples.py``): a document, the permission guarding each field path of its
answer, and the full answer. The roles are derived from the modules too:

=================  ===========================================================
anonymous          nothing (not logged in)
<module> viewer    the module's view permissions
<module> editor    every permission of the module's models, and the view
                   permissions of the modules it requires
administrator      superuser
=================  ===========================================================

A cell is the outcome for that role: the data when the role holds every guarding
permission; else the "Authentication required" error (anonymous) or the "Permission
denied: you need '…'" error of the first guard, on the way down, that the role lacks,
with that field null (a non-null root connection nulls ``data``); the rest of the
document is answered. A refused mutation changes nothing in the database.
"""

from __future__ import annotations

import pytest
import strawberry
from django.test import Client

from backend.graphql.schema import definition_of, get_schema, load_manifests
from backend.permissions import NOT_AUTHENTICATED
from backend.registry import Manifest
from conftest import GraphQLClient
from tests import location_writes as writes
from tests import samples

pytestmark = pytest.mark.django_db

OK, AUTH = "OK", "AUTH"
QUERIES = samples.merged("queries")
MUTATIONS = samples.merged("mutations")
ROLES = samples.role_names()


def outcome(role: str, guards: dict[str, str]) -> tuple[str, str | None]:
    """(outcome, the response path refused) of a role for ordered guards."""
    permissions = samples.roles()[role]
    if permissions == "superuser":
        return OK, None
    for path, permission in guards.items():
        if permissions is None:
            return AUTH, path
        if permission not in permissions:
            return permission, path
    return OK, None


def _cells(cases):
    return [
        pytest.param(name, role, id=f"{name}-{role.replace(' ', '_')}")
        for name in cases
        for role in ROLES
    ]


# -- fixtures and helpers -----------------------------------------------------------


@pytest.fixture
def world() -> None:
    """Every active module's sample rows (``Manifest.samples``)."""
    samples.create_world()


@pytest.fixture
def client_as(gql_as):
    def make(role: str) -> GraphQLClient:
        permissions = samples.roles()[role]
        if permissions is None:
            return GraphQLClient(Client())
        if permissions == "superuser":
            return gql_as(superuser=True, username="administrator")
        return gql_as(*permissions, username=role.replace(" ", "_"))

    return make


def denied(outcome: str) -> str:
    if outcome == AUTH:
        return NOT_AUTHENTICATED
    return f"Permission denied: you need {outcome!r}."


def without(data: dict, path: list[str]) -> dict | None:
    """``data`` with the field at ``path`` null (a non-null root connection: no data)."""
    schema = get_schema()._schema
    if len(path) == 1 and str(schema.query_type.fields[path[0]].type).endswith("!"):
        return None
    result = dict(data)
    node = result
    for key in path[:-1]:
        node[key] = dict(node[key])
        node = node[key]
    node[path[-1]] = None
    return result


# -- the matrix ----------------------------------------------------------------------


def test_the_matrix_covers_every_root_field():
    """A module's root fields need sample cases in its manifest (``Manifest.samples``)."""
    schema = get_schema()._schema
    roots = {name.split("(")[0] for name in QUERIES if "." not in name}
    assert roots == set(schema.query_type.fields)
    assert set(MUTATIONS) == set(schema.mutation_type.fields or {})


def cross_module_fields(manifests) -> set[str]:
    """``"Type.field"`` for every field a module adds to another module's type
    (``Manifest.extensions``), named as in the schema."""
    converter = get_schema().config.name_converter
    return {
        f"{target}.{converter.get_graphql_name(field)}"
        for manifest in manifests.values()
        for target, extensions in manifest.extensions.items()
        for extension in extensions
        for field in definition_of(extension).fields
    }


def test_the_matrix_covers_every_cross_module_field():
    """A field a module adds to another module's type (``Location.payers``) needs a
    sample case in the module's manifest too, as a root field does."""
    added = cross_module_fields(load_manifests())
    assert added  # the payer module adds Location.payers, payersCount, payersConnection
    assert added - set(QUERIES) == set()


def test_a_cross_module_field_without_a_case_is_found():
    """The check above catches a module that adds ``Location.label`` with no sample."""

    @strawberry.type
    class LocationLabel:
        @strawberry.field(description="A label.")
        def label(self) -> str:
            return ""

    manifests = {**load_manifests(), "labels": Manifest(extensions={"Location": [LocationLabel]})}
    assert cross_module_fields(manifests) - set(QUERIES) == {"Location.label"}


def test_every_owned_type_is_reachable_by_node():
    schema = get_schema()._schema
    node_types = {t.name for t in schema.get_possible_types(schema.get_type("Node"))}
    assert {f"node({t})" for t in node_types} <= set(QUERIES)


@pytest.mark.parametrize(("name", "role"), _cells(QUERIES))
def test_query(client_as, world, name, role):
    document, guards, answer = QUERIES[name]
    result = client_as(role).post(document)
    expected, path = outcome(role, guards)
    if expected == OK:
        assert result == {"data": answer}
        return
    # The error is raised at the first field on the way down that needs what is missing.
    assert [(e["message"], e["path"]) for e in result["errors"]] == [
        (denied(expected), path.split("."))
    ]
    assert result["data"] == without(answer, path.split("."))


@pytest.mark.parametrize(("name", "role"), _cells(MUTATIONS))
def test_mutation(client_as, world, name, role):
    document, permission, payload = MUTATIONS[name]
    before = samples.digest()
    result = client_as(role).post(document)
    expected, _ = outcome(role, {name: permission})
    if expected == OK:
        assert result == {"data": {name: payload}}
        assert samples.digest() != before
        return
    assert [(e["message"], e["path"]) for e in result["errors"]] == [(denied(expected), [name])]
    assert result["data"] is None
    assert samples.digest() == before


# -- cross-module fields on a page (the location and payer modules) ----------------------

LV, LA, LC, LD = (f"location.{p}_location" for p in ("view", "add", "change", "delete"))
UPPER = "location.manage_upper_levels"
PV = "payer.view_payer"
ERRORS = "errors { field code message }"


def test_location_viewer_gets_codes_and_a_permission_error_per_location_for_payers(
    client_as, world
):
    result = client_as("location viewer").post(
        "{ locations { edges { node { code payers { name } } } } }"
    )
    codes = ["R1", "R1D1", "R1D1W1", "R1D1W1V1", "R2", "R2D1"]
    assert result["data"] == {
        "locations": {"edges": [{"node": {"code": c, "payers": None}} for c in codes]}
    }
    assert [(e["message"], e["path"]) for e in result["errors"]] == [
        (denied(PV), ["locations", "edges", i, "node", "payers"]) for i in range(len(codes))
    ]
    assert "co-op" not in str(result)


def test_payer_viewer_gets_payers_and_a_permission_error_for_their_location(client_as, world):
    result = client_as("payer viewer").post(
        '{ payers(filter: {nameContains: "co-op"}) { edges { node { name location { code } } } } }'
    )
    assert result["data"] == {
        "payers": {"edges": [{"node": {"name": "Ultha co-op", "location": None}}]}
    }
    assert [(e["message"], e["path"]) for e in result["errors"]] == [
        (denied(LV), ["payers", "edges", 0, "node", "location"])
    ]


# -- regions and districts need location.manage_upper_levels ------------------------------

UPPER_DENIED = (
    "Permission denied: you need 'location.manage_upper_levels' to create or change regions "
    "and districts."
)


# fmt: off
#: A location editor without location.manage_upper_levels: mutation, input, outcome
#: (the writes shared with the district-rights test: :mod:`tests.location_writes`).
UPPER_LEVEL_CASES = [
    (*writes.CREATE_MUNICIPALITY_IN_D1, OK),
    ("createLocation", 'code: "R1D1W1V2", name: "Darbu", type: VILLAGE, parent: "{w1}"', OK),
    (*writes.RENAME_W1, OK),
    (*writes.MOVE_W1_TO_D2, OK),
    (*writes.DELETE_V1, OK),
    (*writes.CREATE_DISTRICT_IN_R1, UPPER),
    (*writes.CREATE_REGION, UPPER),
    (*writes.RENAME_D1, UPPER),
    (*writes.RENAME_R1, UPPER),
    (*writes.MOVE_D1_TO_R2, UPPER),
    ("deleteLocation", 'uuid: "{d2}"', UPPER),
    # a municipality raised to a district (its child would block it too; the right comes first)
    ("updateLocation", 'uuid: "{w1}", type: DISTRICT', UPPER),
]
# fmt: on


@pytest.mark.parametrize(("name", "arguments", "outcome"), UPPER_LEVEL_CASES)
def test_location_editor_without_upper_levels(gql_as, world, name, arguments, outcome):
    editor = gql_as(LV, LA, LC, LD, username="municipal_editor")
    before = samples.digest()
    document = f"mutation {{ {name}(input: {{{arguments}}}) {{ location {{ code }} {ERRORS} }} }}"
    result = editor.post(samples.fill(document))
    if outcome == OK:
        assert result["data"][name]["errors"] == []
        assert samples.digest() != before
    else:
        assert [(e["message"], e["path"]) for e in result["errors"]] == [(UPPER_DENIED, [name])]
        assert result["data"] is None
        assert samples.digest() == before
