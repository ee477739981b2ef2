"""Who may read and change what: every query field and mutation, for every role.

Roles and the Django permissions they hold:

=================  ===========================================================
anonymous          nothing (not logged in)
location viewer    location.view_location
location editor    location.view/add/change/delete_location
                   + location.manage_upper_levels (regions and districts)
payer viewer       payer.view_payer (only: shows Payer.location needs the
                   location permission)
payer editor       payer.view/add/change/delete_payer + location.view_location
                   (a payer belongs to a region or district: the editor has to
                   find it)
administrator      superuser
=================  ===========================================================

A cell is the outcome for that role: ``OK`` (the data, no error), ``AUTH`` (the
"Authentication required" error and no data) or the permission whose "Permission
denied: you need '…'" error the role gets. A denied field is null (a non-null root
connection nulls ``data``); the rest of the document is answered. A refused mutation
changes nothing in the database.
"""

from __future__ import annotations

import pytest
from django.test import Client
from strawberry.relay import to_base64

from backend.graphql.permissions import NOT_AUTHENTICATED
from backend.graphql.schema import get_schema
from conftest import GraphQLClient
from modules.location.models import Location
from modules.payer.models import Payer

pytestmark = pytest.mark.django_db

OK, AUTH = "OK", "AUTH"
LV, LA, LC, LD = (f"location.{p}_location" for p in ("view", "add", "change", "delete"))
UPPER = "location.manage_upper_levels"
PV, PA, PC, PD = (f"payer.{p}_payer" for p in ("view", "add", "change", "delete"))

ROLES = {
    "anonymous": None,
    "location viewer": (LV,),
    "location editor": (LV, LA, LC, LD, UPPER),
    "payer viewer": (PV,),
    "payer editor": (PV, PA, PC, PD, LV),
    "administrator": "superuser",
}

# fmt: off
#: The outcome for each role, in the order of ROLES (one cell, one test).
QUERY_MATRIX = {
    #                    anonymous location   location   payer    payer    admin-
    #                              viewer     editor     viewer   editor   istrator
    "locations":        (AUTH,     OK,        OK,        LV,      OK,      OK),
    "location":         (AUTH,     OK,        OK,        LV,      OK,      OK),
    "node(Location)":   (AUTH,     OK,        OK,        LV,      OK,      OK),
    "node(Payer)":      (AUTH,     PV,        PV,        OK,      OK,      OK),
    "payers":           (AUTH,     PV,        PV,        OK,      OK,      OK),
    "payer":            (AUTH,     PV,        PV,        OK,      OK,      OK),
    "Location.payers":  (AUTH,     PV,        PV,        LV,      OK,      OK),
    "Payer.location":   (AUTH,     PV,        PV,        LV,      OK,      OK),
    "Location.history": (AUTH,     OK,        OK,        LV,      OK,      OK),
    "Payer.history":    (AUTH,     PV,        PV,        OK,      OK,      OK),
}
MUTATION_MATRIX = {
    "createLocation":   (AUTH,     LA,        OK,        LA,      LA,      OK),
    "updateLocation":   (AUTH,     LC,        OK,        LC,      LC,      OK),
    "moveLocation":     (AUTH,     LC,        OK,        LC,      LC,      OK),
    "deleteLocation":   (AUTH,     LD,        OK,        LD,      LD,      OK),
    "createPayer":      (AUTH,     PA,        PA,        PA,      OK,      OK),
    "updatePayer":      (AUTH,     PC,        PC,        PC,      OK,      OK),
    "deletePayer":      (AUTH,     PD,        PD,        PD,      OK,      OK),
}
# fmt: on

#: name: (document, permission guarding each field path, the full answer).
QUERIES = {
    "locations": (
        '{ locations(filter: {code: "R1"}) { edges { node { code name } } } }',
        {"locations": LV},
        {"locations": {"edges": [{"node": {"code": "R1", "name": "Ultha"}}]}},
    ),
    "location": (
        '{ location(uuid: "{r1}") { code name } }',
        {"location": LV},
        {"location": {"code": "R1", "name": "Ultha"}},
    ),
    "node(Location)": (
        '{ node(id: "{r1_id}") { id ... on Location { code } } }',
        {"node": LV},
        {"node": {"id": "{r1_id}", "code": "R1"}},
    ),
    "node(Payer)": (
        '{ node(id: "{coop_id}") { id ... on Payer { name } } }',
        {"node": PV},
        {"node": {"id": "{coop_id}", "name": "Ultha co-op"}},
    ),
    "payers": (
        "{ payers { edges { node { name } } } }",
        {"payers": PV},
        {"payers": {"edges": [{"node": {"name": "Ultha co-op"}}]}},
    ),
    "payer": (
        '{ payer(uuid: "{coop}") { name } }',
        {"payer": PV},
        {"payer": {"name": "Ultha co-op"}},
    ),
    "Location.payers": (
        '{ location(uuid: "{r1}") { code payers { name } } }',
        {"location": LV, "location.payers": PV},
        {"location": {"code": "R1", "payers": [{"name": "Ultha co-op"}]}},
    ),
    "Payer.location": (
        '{ payer(uuid: "{coop}") { name location { code } } }',
        {"payer": PV, "payer.location": LV},
        {"payer": {"name": "Ultha co-op", "location": {"code": "R1"}}},
    ),
    "Location.history": (
        '{ location(uuid: "{r1}") { code history { name } } }',
        {"location": LV},
        {"location": {"code": "R1", "history": [{"name": "Old Ultha"}]}},
    ),
    "Payer.history": (
        '{ payer(uuid: "{coop}") { name history { name } } }',
        {"payer": PV},
        {"payer": {"name": "Ultha co-op", "history": [{"name": "Old co-op"}]}},
    ),
}

ERRORS = "errors { field code message }"
#: name: (document, permission, the payload on success).
MUTATIONS = {
    "createLocation": (
        'mutation { createLocation(input: {code: "R1D1W2", name: "Boeng", type: MUNICIPALITY, '
        'parent: "{d1}"}) { location { code name type parent { code } } ' + ERRORS + " } }",
        {
            "location": {
                "code": "R1D1W2",
                "name": "Boeng",
                "type": "MUNICIPALITY",
                "parent": {"code": "R1D1"},
            },
            "errors": [],
        },
    ),
    "updateLocation": (
        'mutation { updateLocation(input: {uuid: "{w1}", name: "Achi Thom"}) '
        "{ location { code name } " + ERRORS + " } }",
        {"location": {"code": "R1D1W1", "name": "Achi Thom"}, "errors": []},
    ),
    "moveLocation": (
        'mutation { moveLocation(input: {uuid: "{w1}", parent: "{d2}"}) '
        "{ location { code parent { code } } " + ERRORS + " } }",
        {"location": {"code": "R1D1W1", "parent": {"code": "R2D1"}}, "errors": []},
    ),
    "deleteLocation": (
        'mutation { deleteLocation(input: {uuid: "{v1}"}) { location { code } ' + ERRORS + " } }",
        {"location": {"code": "R1D1W1V1"}, "errors": []},
    ),
    "createPayer": (
        'mutation { createPayer(input: {name: "Tahida fund", type: DONOR, location: "{r2}"}) '
        "{ payer { name type location { code } } " + ERRORS + " } }",
        {
            "payer": {"name": "Tahida fund", "type": "DONOR", "location": {"code": "R2"}},
            "errors": [],
        },
    ),
    "updatePayer": (
        'mutation { updatePayer(input: {uuid: "{coop}", phone: "+855 12 345"}) '
        "{ payer { name phone } " + ERRORS + " } }",
        {"payer": {"name": "Ultha co-op", "phone": "+855 12 345"}, "errors": []},
    ),
    "deletePayer": (
        'mutation { deletePayer(input: {uuid: "{coop}"}) { payer { name } ' + ERRORS + " } }",
        {"payer": {"name": "Ultha co-op"}, "errors": []},
    ),
}


def _cells(matrix):
    return [
        pytest.param(name, role, outcome, id=f"{name}-{role.replace(' ', '_')}")
        for name, outcomes in matrix.items()
        for role, outcome in zip(ROLES, outcomes, strict=True)
    ]


# -- fixtures and helpers -----------------------------------------------------------


@pytest.fixture
def world() -> dict[str, str]:
    """R1 Ultha > R1D1 Rapta > R1D1W1 Achi > R1D1W1V1 Rachla; R2 Tahida > R2D1 Rajo.

    R1 has a history row (Old Ultha); the payer Ultha co-op at R1 has one (Old co-op).
    Returns the placeholders of the documents: uuids and global ids.
    """
    r1 = Location.objects.create(code="R1", name="Ultha", type="R")
    Location.objects.create(
        code="R1", name="Old Ultha", type="R", validity_to="2020-01-01T00:00:00Z", legacy=r1
    )
    d1 = Location.objects.create(code="R1D1", name="Rapta", type="D", parent=r1)
    w1 = Location.objects.create(code="R1D1W1", name="Achi", type="W", parent=d1)
    v1 = Location.objects.create(code="R1D1W1V1", name="Rachla", type="V", parent=w1)
    r2 = Location.objects.create(code="R2", name="Tahida", type="R")
    d2 = Location.objects.create(code="R2D1", name="Rajo", type="D", parent=r2)
    coop = Payer.objects.create(name="Ultha co-op", type="C", location=r1)
    Payer.objects.create(
        name="Old co-op", type="C", location=r1, validity_to="2020-01-01T00:00:00Z", legacy=coop
    )
    rows = {"r1": r1, "d1": d1, "w1": w1, "v1": v1, "r2": r2, "d2": d2, "coop": coop}
    return {
        **{name: str(row.uuid) for name, row in rows.items()},
        "r1_id": to_base64("Location", r1.pk),
        "coop_id": to_base64("Payer", coop.pk),
    }


@pytest.fixture
def client_as(gql_as):
    def make(role: str) -> GraphQLClient:
        permissions = ROLES[role]
        if permissions is None:
            return GraphQLClient(Client())
        if permissions == "superuser":
            return gql_as(superuser=True, username="administrator")
        return gql_as(*permissions, username=role.replace(" ", "_"))

    return make


def fill(template, world):
    """``template`` (a document or an expected answer) with the world's placeholders."""
    if isinstance(template, str):
        for key, value in world.items():
            template = template.replace(f"{{{key}}}", value)
        return template
    if isinstance(template, dict):
        return {k: fill(v, world) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, world) for v in template]
    return template


def denied(outcome: str) -> str:
    if outcome == AUTH:
        return NOT_AUTHENTICATED
    return f"Permission denied: you need {outcome!r}."


def without(data: dict, path: list[str]) -> dict | None:
    """``data`` with the field at ``path`` null (a non-null root connection: no data)."""
    if path in (["locations"], ["payers"]):
        return None
    result = dict(data)
    node = result
    for key in path[:-1]:
        node[key] = dict(node[key])
        node = node[key]
    node[path[-1]] = None
    return result


def snapshot() -> list[tuple]:
    return [
        *Location.objects.order_by("pk").values_list(),
        *Payer.objects.order_by("pk").values_list(),
    ]


# -- the matrix ----------------------------------------------------------------------


def test_the_matrix_covers_every_root_field():
    schema = get_schema()._schema
    roots = {name.split("(")[0] for name in QUERY_MATRIX if "." not in name}
    assert roots == set(schema.query_type.fields)
    assert set(MUTATION_MATRIX) == set(schema.mutation_type.fields)
    assert set(QUERIES) == set(QUERY_MATRIX) and set(MUTATIONS) == set(MUTATION_MATRIX)


@pytest.mark.parametrize(("name", "role", "outcome"), _cells(QUERY_MATRIX))
def test_query(client_as, world, name, role, outcome):
    document, guards, answer = QUERIES[name]
    result = client_as(role).post(fill(document, world))
    answer = fill(answer, world)
    if outcome == OK:
        assert result == {"data": answer}
        return
    # The error is raised at the first field on the way down that needs what is missing.
    path = next(p for p, permission in guards.items() if outcome in (AUTH, permission))
    assert [(e["message"], e["path"]) for e in result["errors"]] == [
        (denied(outcome), path.split("."))
    ]
    assert result["data"] == without(answer, path.split("."))


@pytest.mark.parametrize(("name", "role", "outcome"), _cells(MUTATION_MATRIX))
def test_mutation(client_as, world, name, role, outcome):
    document, payload = MUTATIONS[name]
    before = snapshot()
    result = client_as(role).post(fill(document, world))
    if outcome == OK:
        assert result == {"data": {name: fill(payload, world)}}
        assert snapshot() != before
        return
    assert [(e["message"], e["path"]) for e in result["errors"]] == [(denied(outcome), [name])]
    assert result["data"] is None
    assert snapshot() == before


# -- cross-module fields on a page ---------------------------------------------------------


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
        "{ payers { edges { node { name location { code } } } } }"
    )
    assert result["data"] == {
        "payers": {"edges": [{"node": {"name": "Ultha co-op", "location": None}}]}
    }
    assert [(e["message"], e["path"]) for e in result["errors"]] == [
        (denied(LV), ["payers", "edges", 0, "node", "location"])
    ]


# -- regions and districts need location.manage_upper_levels ------------------------------

UPPER_DENIED = (
    "You need the permission 'location.manage_upper_levels' to create or change regions "
    "and districts."
)


# fmt: off
#: A location editor without location.manage_upper_levels: mutation, input, outcome.
UPPER_LEVEL_CASES = [
    ("createLocation", 'code: "R1D1W2", name: "Boeng", type: MUNICIPALITY, parent: "{d1}"', OK),
    ("createLocation", 'code: "R1D1W1V2", name: "Darbu", type: VILLAGE, parent: "{w1}"', OK),
    ("updateLocation", 'uuid: "{w1}", name: "Achi Thom"', OK),
    ("moveLocation", 'uuid: "{w1}", parent: "{d2}"', OK),
    ("deleteLocation", 'uuid: "{v1}"', OK),
    ("createLocation", 'code: "R1D2", name: "Tarak", type: DISTRICT, parent: "{r1}"', UPPER),
    ("createLocation", 'code: "R3", name: "Kampot", type: REGION', UPPER),
    ("updateLocation", 'uuid: "{d1}", name: "Rapta Thom"', UPPER),
    ("updateLocation", 'uuid: "{r1}", name: "Ultha Thom"', UPPER),
    ("moveLocation", 'uuid: "{d1}", parent: "{r2}"', UPPER),
    ("deleteLocation", 'uuid: "{d2}"', UPPER),
    # a municipality raised to a district (its child would block it too; the right comes first)
    ("updateLocation", 'uuid: "{w1}", type: DISTRICT', UPPER),
]
# fmt: on


@pytest.mark.parametrize(("name", "arguments", "outcome"), UPPER_LEVEL_CASES)
def test_location_editor_without_upper_levels(gql_as, world, name, arguments, outcome):
    editor = gql_as(LV, LA, LC, LD, username="municipal_editor")
    before = snapshot()
    document = f"mutation {{ {name}(input: {{{arguments}}}) {{ location {{ code }} {ERRORS} }} }}"
    result = editor.post(fill(document, world))
    if outcome == OK:
        assert result["data"][name]["errors"] == []
        assert snapshot() != before
    else:
        assert [(e["message"], e["path"]) for e in result["errors"]] == [(UPPER_DENIED, [name])]
        assert result["data"] is None
        assert snapshot() == before
