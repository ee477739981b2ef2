"""District rights on history rows: a version's references are checked like any other.

The sample world: R1 > R1D1 (d1) > R1D1W1 > R1D1W1V1, R2 > R2D1 (d2). An administrator
moves d1 from R1 to R2 (``moveLocation``), which keeps d1's earlier version, under R1, as
a history row. A user attached to d1 reads d1 (its history row included: it is placed
by its own values, d1's slot), d1's subtree and R2, the region above d1 today; R1 is no
longer above any of their districts, so it is hidden from them. The parent of a
*current* readable location is one of its ancestors, readable by design; the parent of
a *history* row may be a former parent that is no longer one: it is null on every
surface (GraphQL on the general and the compiled path, FHIR ``_history`` and vread
leave ``partOf`` out, the admin shows none), as ``location(uuid:)`` of R1 is.
"""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import VIEWER
from modules.location.models import Location
from tests import samples
from tests.test_compiler import both_paths, compiled, postgresql_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def moved(world, gql) -> dict:
    """The world with d1 moved from R1 to R2 by an administrator."""
    answer = gql.data(
        samples.fill(
            'mutation { moveLocation(input: {uuid: "{d1}", parent: "{r2}"}) '
            "{ location { parent { code } } errors { message } } }"
        )
    )
    assert answer["moveLocation"] == {"location": {"parent": {"code": "R2"}}, "errors": []}
    return world


@pytest.fixture
def client_d1(moved, client_with) -> Client:
    """Logged in as a staff user attached to d1 who may view locations and payers."""
    return client_with(*VIEWER, districts=[Location.objects.get(uuid=moved["d1"])], staff=True)


@pytest.fixture
def gql_d1(client_d1):
    from conftest import GraphQLClient

    return GraphQLClient(client_d1)


def _history_row(moved) -> Location:
    [row] = Location.objects.filter(legacy__uuid=moved["d1"])
    return row


def test_a_former_parent_outside_the_rights_is_null_on_history_rows(moved, gql_d1):
    old = _history_row(moved)
    data = gql_d1.data(
        samples.fill(
            '{ d1: location(uuid: "{d1}") { parent { code } history { code parent { code } } '
            "historyConnection { edges { node { parent { code } } } } } "
            'r1: location(uuid: "{r1}") { code } '
            f'version: location(uuid: "{old.uuid}") {{ code parent {{ code }} }} }}'
        )
    )
    assert data == {
        "d1": {
            "parent": {"code": "R2"},  # an ancestor today: readable
            "history": [{"code": "R1D1", "parent": None}],  # R1, hidden from the user
            "historyConnection": {"edges": [{"node": {"parent": None}}]},
        },
        "r1": None,
        "version": {"code": "R1D1", "parent": None},
    }


def test_a_former_parent_is_shown_to_a_user_who_reads_it(moved, gql_as):
    """A user attached to d1 and to R1's district: R1 is above one of their districts."""
    # d2 is below R2 too; attach the user to a district of R1 instead
    r1 = Location.objects.get(uuid=moved["r1"])
    other = Location.objects.create(code="R1D2", name="Tarak", type="D", parent=r1)
    reader = gql_as(*VIEWER, districts=[Location.objects.get(uuid=moved["d1"]), other])
    data = reader.data(samples.fill('{ location(uuid: "{d1}") { history { parent { code } } } }'))
    assert data == {"location": {"history": [{"parent": {"code": "R1"}}]}}


def test_fhir_history_and_vread_leave_the_former_parent_out(moved, client_d1):
    history = client_d1.get(f"/fhir/Location/{moved['d1']}/_history")
    assert history.status_code == 200
    parts = {
        entry["resource"]["meta"]["versionId"]: entry["resource"].get("partOf")
        for entry in history.json()["entry"]
    }
    r2 = {"reference": f"Location/{moved['r2']}"}
    assert {k: v and {"reference": v["reference"]} for k, v in parts.items()} == {
        "2": r2,
        "1": None,
    }
    version = client_d1.get(f"/fhir/Location/{moved['d1']}/_history/1")
    assert version.status_code == 200
    assert "partOf" not in version.json()
    assert version.json()["name"] == "Rapta"


@postgresql_only
def test_the_compiled_path_answers_null_too(moved, gql_d1):
    old = _history_row(moved)
    query = samples.fill(
        '{ d1: location(uuid: "{d1}") { parent { code } history { parent { code } } } '
        f'version: location(uuid: "{old.uuid}") {{ parent {{ code }} }} }}'
    )
    answer, queries, general = both_paths(gql_d1, query)
    assert compiled(queries)
    assert answer == general
    assert answer["data"] == {
        "d1": {"parent": {"code": "R2"}, "history": [{"parent": None}]},
        "version": {"parent": None},
    }


def test_a_history_list_checks_its_parents_in_its_own_query(moved, gql_d1, gql_as):
    """The history rows' former parents are checked in the query listing the versions:
    the restricted user's read costs the queries of an unrestricted one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    query = "{ locations { edges { node { code history { parent { code } } } } } }"
    viewer = gql_as(*VIEWER)  # the global right
    with CaptureQueriesContext(connection) as restricted:
        data = gql_d1.data(query)
    with CaptureQueriesContext(connection) as unrestricted:
        everything = viewer.data(query)
    histories = {e["node"]["code"]: e["node"]["history"] for e in data["locations"]["edges"]}
    assert histories["R1D1"] == [{"parent": None}]
    seen = {e["node"]["code"]: e["node"]["history"] for e in everything["locations"]["edges"]}
    assert seen["R1D1"] == [{"parent": {"code": "R1"}}]
    assert len(restricted) == len(unrestricted)


def test_the_admin_shows_no_former_parent_outside_the_rights(moved, client_d1):
    """The history table of d1's change page, the list of history rows and the change
    page of d1's earlier version leave the former region out."""
    client = client_d1
    d1, old = Location.objects.get(uuid=moved["d1"]), _history_row(moved)
    pages = {
        "history table": f"/admin/location/location/{d1.pk}/change/",
        "list": "/admin/location/location/?validity=history",
        "earlier version": f"/admin/location/location/{old.pk}/change/",
    }
    for name, url in pages.items():
        page = client.get(url)
        assert page.status_code == 200, name
        assert b"R1D1" in page.content, name  # the version is shown
        assert b"Ultha" not in page.content, name  # R1 Ultha, its region then, is not
