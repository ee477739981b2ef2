"""Nothing tells a user about rows they may not read: not an answer, an error, a cursor,
an ordering, a reference in a resource or a column of the admin.

Two kinds of users, on every surface (GraphQL, its compiled SQL path on PostgreSQL,
FHIR, JSON:API, the admin):

- a *payer-only viewer* holds ``payer.view_payer`` but not ``location.view_location``:
  ordering payers by a location's value, filtering them by location (an existence
  oracle, and which payers sit where), naming a location in a write and FHIR's location
  reference are refused or left out, the same way whatever the uuid;
- a *district user* (attached to d1): a location or payer outside the districts is
  answered exactly as a uuid no row has, in filters, mutation inputs, FHIR writes and
  FHIR's conditional writes (the ``If-Match`` version is compared only once the row is
  known to be visible: a 412 would tell that it exists).

The sample world (``Manifest.samples``): R1 > R1D1 (d1) > R1D1W1 > R1D1W1V1, R2 > R2D1
(d2); payers Ultha co-op at R1, Rapta fund at d1, Rajo fund at d2, National fund at no
location.
"""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection
from django.test import Client

from backend.graphql.schema import get_schema
from conftest import GraphQLClient
from modules.location.models import Location
from modules.payer.models import Payer
from tests import samples
from tests.api_helpers import FHIR_JSON, validated

pytestmark = pytest.mark.django_db

VIEW_LOCATION, VIEW_PAYER = "location.view_location", "payer.view_payer"
PAYER_EDITOR = (VIEW_PAYER, "payer.add_payer", "payer.change_payer", "payer.delete_payer")
EDITOR = (
    VIEW_LOCATION,
    *(f"location.{p}_location" for p in ("add", "change", "delete")),
    "location.manage_upper_levels",
    *PAYER_EDITOR,
)
#: A uuid no row has.
UNKNOWN = "00000000-0000-4000-8000-00000000dead"
LOCATION_CODES = ("R1D1", "R2D1", "R1D1W1")  # codes that appear in no payer's values
COMPILE = [False, True]  # the general executor; the SQL compiler (PostgreSQL only)


@pytest.fixture
def district_user(client_with, world):
    """A district-d1 user with every model permission (not the global right)."""
    return client_with(*EDITOR, districts=[Location.objects.get(uuid=world["d1"])])


@pytest.fixture(params=COMPILE, ids=["general", "compiled"])
def compile_reads(request, settings):
    if request.param and connection.vendor != "postgresql":
        pytest.skip("the SQL compiler runs on PostgreSQL")
    settings.GRAPHQL_COMPILE = request.param
    return request.param


def same_but_uuid(answer: object, hidden: str, other: object) -> None:
    """``answer`` (naming the uuid ``hidden``) is ``other`` (naming :data:`UNKNOWN`),
    word for word."""
    assert json.loads(json.dumps(other).replace(UNKNOWN, hidden)) == json.loads(json.dumps(answer))


def no_location_in(text: str, world) -> None:
    for code in LOCATION_CODES:
        assert code not in text
    for key in ("r1", "d1", "w1", "v1", "r2", "d2"):
        assert world[key] not in text


def cursor_values(cursor: str) -> list:
    """The keys a ``k2:`` cursor holds after its connection's tag (README, "Paging")."""
    assert cursor.startswith("k2:")
    data = cursor[3:]
    return json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))[1:]


# -- payer-only viewers: GraphQL -----------------------------------------------------------


def test_ordering_payers_by_location_code_needs_the_location_permission(
    client_with, world, compile_reads
):
    viewer = GraphQLClient(client_with(VIEW_PAYER))
    result = viewer.post(
        "{ payers(orderBy: [{field: LOCATION_CODE}]) { edges { cursor node { name } } } }"
    )
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == (
        f"Permission denied: you need '{VIEW_LOCATION}' to order by LOCATION_CODE."
    )
    no_location_in(json.dumps(result), world)
    # with the permission, the same order is served (its cursors hold the codes)
    both = GraphQLClient(client_with(VIEW_PAYER, VIEW_LOCATION))
    edges = both.data(
        "{ payers(orderBy: [{field: LOCATION_CODE}]) { edges { cursor node { name } } } }"
    )["payers"]["edges"]
    assert [e["node"]["name"] for e in edges] == [
        "Ultha co-op",
        "Rapta fund",
        "Rajo fund",
        "National fund",
    ]
    assert [cursor_values(e["cursor"])[0] for e in edges] == ["R1", "R1D1", "R2D1", None]


def _order_cases() -> list[tuple[str, str, str]]:
    """(root connection, order field, the node's view permission) of every root
    connection of the active modules with an ``orderBy`` argument."""
    schema = get_schema()
    cases = []
    for name, field in schema.schema_converter.from_object(
        schema.query.__strawberry_definition__
    ).fields.items():
        order = field.args.get("orderBy")
        if order is None:
            continue
        criterion = order.type.of_type.of_type  # [XOrder!]
        enum = criterion.fields["field"].type.of_type
        node = field.type.of_type.fields["edges"].type.of_type.of_type.of_type.fields["node"]
        origin = node.type.of_type.extensions["strawberry-definition"].origin
        for value in enum.values:
            cases.append((name, value, origin.view_permission))
    return cases


@pytest.mark.parametrize(("root", "order", "permission"), _order_cases())
def test_no_order_shows_what_the_node_permission_alone_does_not(
    client_with, world, root, order, permission
):
    """Every order of every root connection, for a user holding only the node's own
    view permission: refused naming a permission, or served with cursors that hold no
    value of a type the user may not view (the other modules' sample values)."""
    viewer = GraphQLClient(client_with(permission))
    result = viewer.post(
        f"{{ {root}(orderBy: [{{field: {order}}}]) {{ edges {{ cursor node {{ uuid }} }} }} }}"
    )
    if result.get("errors"):
        [error] = result["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "Permission denied: you need '" in error["message"]
        return
    cursors = [cursor_values(e["cursor"]) for e in result["data"][root]["edges"]]
    assert cursors
    foreign = {samples.UUIDS[n] for n, t in samples.NAMES.items() if samples.VIEW[t] != permission}
    text = json.dumps(cursors)
    for key in foreign:
        assert key not in text
    if permission == VIEW_PAYER:
        for code in LOCATION_CODES:
            assert code not in text


@pytest.mark.parametrize("location", ["d1", "unknown"])
def test_filtering_payers_by_location_needs_the_location_permission(
    client_with, world, compile_reads, location
):
    """Whatever the uuid (an existing location, or none), the same refusal: it tells
    neither that the location exists nor which payers are there."""
    viewer = GraphQLClient(client_with(VIEW_PAYER))
    key = world.get(location, UNKNOWN)
    query = (
        f'{{ payers(filter: {{location: "{key}"}}) {{ totalCount edges {{ node {{ name }} }} }} }}'
    )
    result = viewer.post(query)
    assert result == {
        "data": None,
        "errors": [
            {
                "message": f"Permission denied: you need '{VIEW_LOCATION}' to filter payers "
                "by location.",
                "locations": [{"line": 1, "column": 3}],
                "path": ["payers"],
                "extensions": {"code": "FORBIDDEN"},
            }
        ],
    }


@pytest.mark.parametrize("mutation", ["createPayer", "updatePayer"])
def test_naming_a_location_in_a_payer_write_needs_the_location_permission(
    client_with, world, mutation
):
    editor = GraphQLClient(client_with(*PAYER_EDITOR))
    before = samples.digest()
    answers = []
    for key in (world["d1"], UNKNOWN):
        fields = (
            'name: "Fund", type: DONOR'
            if mutation == "createPayer"
            else f'uuid: "{world["fund_d2"]}"'
        )
        answers.append(
            editor.post(
                f'mutation {{ {mutation}(input: {{{fields}, location: "{key}"}}) '
                "{ errors { field code message } } }"
            )
        )
    same_but_uuid(answers[0], world["d1"], answers[1])
    assert answers[0]["data"] is None
    assert answers[0]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert answers[0]["errors"][0]["message"] == (
        f"Permission denied: you need '{VIEW_LOCATION}' to give a payer a location."
    )
    assert samples.digest() == before
    # a write not naming a location is served
    changed = editor.post(
        f'mutation {{ updatePayer(input: {{uuid: "{world["fund_d1"]}", phone: "12"}}) '
        "{ errors { code } } }"
    )
    assert changed == {"data": {"updatePayer": {"errors": []}}}
    assert Payer.objects.current().get(uuid=world["fund_d1"]).location.code == "R1D1"


# -- payer-only viewers: FHIR, JSON:API, the admin --------------------------------------


def test_fhir_organizations_hold_no_location_for_a_payer_only_viewer(client_with, world):
    viewer = client_with(VIEW_PAYER)
    key = world["fund_d1"]
    for url in (
        f"/fhir/Organization/{key}",
        f"/fhir/Organization/{key}/_history",
        f"/fhir/Organization/{key}/_history/1",
        "/fhir/Organization",
        "/fhir/Organization?name=Rapta",
    ):
        response = viewer.get(url)
        assert response.status_code == 200, url
        body = validated(response.json())
        text = json.dumps(body)
        assert "organization-location" not in text and "Location/" not in text, url
        no_location_in(text, world)
    read = viewer.get(f"/fhir/Organization/{key}").json()
    assert "extension" not in read
    assert read["name"] == "Rapta fund"
    # with the permission, the reference is there
    both = client_with(VIEW_PAYER, VIEW_LOCATION).get(f"/fhir/Organization/{key}").json()
    assert both["extension"][0]["valueReference"] == {"reference": f"Location/{world['d1']}"}


@pytest.mark.parametrize("location", ["d1", "unknown"])
def test_fhir_search_by_location_needs_the_location_permission(client_with, world, location):
    key = world.get(location, UNKNOWN)
    response = client_with(VIEW_PAYER).get(f"/fhir/Organization?location={key}")
    assert response.status_code == 403
    assert response.json()["issue"][0]["diagnostics"] == (
        f"Permission denied: you need '{VIEW_LOCATION}' to search by Location references "
        "(location)."
    )


def test_fhir_update_by_a_payer_only_editor_keeps_the_location_it_does_not_see(client_with, world):
    editor = client_with(*PAYER_EDITOR)
    key = world["fund_d1"]
    resource = editor.get(f"/fhir/Organization/{key}").json()
    assert "extension" not in resource
    resource["name"] = "Rapta fund renamed"
    saved = editor.put(f"/fhir/Organization/{key}", resource, content_type=FHIR_JSON)
    assert saved.status_code == 200, saved.content
    payer = Payer.objects.current().get(uuid=key)
    assert (payer.name, payer.location.code) == ("Rapta fund renamed", "R1D1")
    # naming a location is refused alike for an existing and an unknown one
    answers = []
    for target in (world["d2"], UNKNOWN):
        named = {
            **resource,
            "extension": [
                {
                    "url": "urn:openimis-graphql:fhir:StructureDefinition:organization-location",
                    "valueReference": {"reference": f"Location/{target}"},
                }
            ],
        }
        response = editor.put(f"/fhir/Organization/{key}", named, content_type=FHIR_JSON)
        answers.append((response.status_code, response.json()))
    same_but_uuid(answers[0], world["d2"], answers[1])
    assert answers[0][0] == 403
    assert Payer.objects.current().get(uuid=key).location.code == "R1D1"


@pytest.mark.parametrize("location", ["d1", "unknown"])
def test_json_api_filter_by_location_needs_the_location_permission(client_with, world, location):
    key = world.get(location, UNKNOWN)
    response = client_with(VIEW_PAYER).get(f"/api/payers?filter[location.uuid]={key}")
    assert response.status_code == 403
    assert response.json()["errors"] == [
        {
            "detail": f"Permission denied: you need '{VIEW_LOCATION}' to filter by locations "
            "(filter[location.uuid]).",
            "status": "403",
            "source": {"parameter": "filter[location.uuid]"},
            "code": "permission_denied",
        }
    ]


def test_the_admin_shows_payers_without_their_location_to_a_payer_only_viewer(client_with, world):
    viewer = client_with(VIEW_PAYER, staff=True)
    listing = viewer.get("/admin/payer/payer/")
    assert listing.status_code == 200
    assert "location" not in listing.context["cl"].list_display
    payer = Payer.objects.current().get(uuid=world["coop"])
    page = viewer.get(f"/admin/payer/payer/{payer.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ultha co-op" in text
    assert "Ultha</" not in text and ">R1<" not in text  # the location, not even in history
    assert "location" not in page.context["adminform"].form.fields
    both = client_with(VIEW_PAYER, VIEW_LOCATION, staff=True)
    assert "location" in both.get("/admin/payer/payer/").context["cl"].list_display


# -- district users: filters, writes, FHIR conditional writes ------------------------------


FILTERS = [
    ("locations", "parent", "d2"),
    ("locations", "ancestor", "r2"),
    ("locations", "parents", "d2"),
    ("locations", "ancestors", "d2"),
    ("payers", "location", "d2"),
]


@pytest.mark.parametrize(("root", "field", "row"), FILTERS)
def test_a_filter_naming_a_location_outside_the_districts_is_an_unknown_uuid(
    district_user, world, compile_reads, root, field, row
):
    client = GraphQLClient(district_user)
    answers = []
    for key in (world[row], UNKNOWN):
        value = f'["{key}"]' if field in ("parents", "ancestors") else f'"{key}"'
        answers.append(client.post(f"{{ {root}(filter: {{{field}: {value}}}) {{ totalCount }} }}"))
    same_but_uuid(answers[0], world[row], answers[1])
    assert answers[0]["data"] is None
    [error] = answers[0]["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == f"filter.{field}: no location has uuid {world[row]}."
    # a location the user reads is a filter as before
    seen = world["r1"] if root == "locations" else world["d1"]
    value = f'["{seen}"]' if field in ("parents", "ancestors") else f'"{seen}"'
    assert client.post(f"{{ {root}(filter: {{{field}: {value}}}) {{ totalCount }} }}")["data"]


def _fhir_body(world, resource_type: str, key: str) -> dict:
    """The resource as a superuser reads it (a valid body for a write)."""
    admin = Client()
    from django.contrib.auth.models import User

    admin.force_login(User.objects.create_superuser(f"admin-{key[:8]}", password=None))
    return admin.get(f"/fhir/{resource_type}/{key}").json()


def test_fhir_create_naming_a_location_outside_the_districts_is_an_unknown_uuid(
    district_user, world
):
    answers = []
    for key in (world["d2"], UNKNOWN):
        body = {
            "resourceType": "Organization",
            "name": "Fund",
            "extension": [
                {
                    "url": "urn:openimis-graphql:fhir:StructureDefinition:organization-location",
                    "valueReference": {"reference": f"Location/{key}"},
                }
            ],
        }
        response = district_user.post("/fhir/Organization", body, content_type=FHIR_JSON)
        answers.append((response.status_code, response.json()))
    same_but_uuid(answers[0], world["d2"], answers[1])
    assert answers[0][0] == 422
    assert answers[0][1]["issue"][0]["diagnostics"] == f"No location has uuid {world['d2']}."
    assert not Payer.objects.filter(name="Fund").exists()


def test_fhir_update_of_a_location_under_a_parent_outside_the_districts_is_an_unknown_uuid(
    district_user, world
):
    body = _fhir_body(world, "Location", world["w1"])
    answers = []
    for key in (world["d2"], UNKNOWN):
        moved = {**body, "partOf": {"reference": f"Location/{key}"}}
        response = district_user.put(f"/fhir/Location/{world['w1']}", moved, content_type=FHIR_JSON)
        answers.append((response.status_code, response.json()))
    same_but_uuid(answers[0], world["d2"], answers[1])
    assert answers[0][0] == 422
    assert Location.objects.current().get(uuid=world["w1"]).parent.code == "R1D1"


def _invisible_rows() -> list[tuple[str, str]]:
    """(FHIR resource type, sample row) of every sample row of a served type that the
    district-d1 user may not read (district rights), from the registry."""
    from backend.fhir import fhir_resources

    served = {r.get_model()._meta.label: r.resource_type for r in fhir_resources().values()}
    hidden = {"location.Location": ("r2", "d2"), "payer.Payer": ("coop", "fund_d2")}
    return [(served[label], name) for label, names in hidden.items() for name in names]


@pytest.mark.parametrize("method", ["put", "delete"])
@pytest.mark.parametrize(("resource_type", "row"), _invisible_rows())
def test_fhir_conditional_writes_of_a_row_outside_the_districts_are_404_before_if_match(
    district_user, world, method, resource_type, row
):
    """A stale ``If-Match`` on a row the user may not read is the 404 of an unknown id,
    not a 412 (which would tell that the row exists), nor a 403."""
    body = _fhir_body(world, resource_type, world[row])
    answers = []
    for key in (world[row], UNKNOWN):
        url = f"/fhir/{resource_type}/{key}"
        headers = {"If-Match": 'W/"99"'}
        if method == "put":
            response = district_user.put(
                url, {**body, "id": key}, content_type=FHIR_JSON, headers=headers
            )
        else:
            response = district_user.delete(url, headers=headers)
        answers.append((response.status_code, response.json()))
    same_but_uuid(answers[0], world[row], answers[1])
    assert answers[0][0] == 404
    assert answers[0][1]["issue"][0]["diagnostics"] == (f"No {resource_type} has id {world[row]}.")


def test_fhir_conditional_write_of_a_visible_row_still_checks_if_match(district_user, world):
    body = _fhir_body(world, "Organization", world["fund_d1"])
    url = f"/fhir/Organization/{world['fund_d1']}"
    stale = district_user.put(url, body, content_type=FHIR_JSON, headers={"If-Match": 'W/"99"'})
    assert stale.status_code == 412


def test_a_refused_location_delete_names_payers_only_to_payer_viewers(client_with, world):
    """A location editor without ``payer.view_payer`` learns that d2 still has a payer,
    not its name or uuid; with the permission, both."""
    location_editor = (VIEW_LOCATION, "location.delete_location", "location.manage_upper_levels")
    document = (
        f'mutation {{ deleteLocation(input: {{uuid: "{world["d2"]}"}}) '
        "{ errors { field code message } } }"
    )
    answers = {}
    for name, permissions in (
        ("without", location_editor),
        ("with", (*location_editor, VIEW_PAYER)),
    ):
        answers[name] = GraphQLClient(client_with(*permissions)).data(document)["deleteLocation"]
    assert answers["without"]["errors"] == [
        {
            "field": None,
            "code": "HAS_PAYERS",
            "message": "R2D1 Rajo still has 1 current payer(s); move or delete them first, or "
            "choose references CASCADE or REASSIGN.",
        }
    ]
    assert "Rajo fund" not in json.dumps(answers["without"])
    assert world["fund_d2"] not in json.dumps(answers["without"])
    assert answers["with"]["errors"][0]["message"] == (
        f"R2D1 Rajo still has 1 current payer(s): 'Rajo fund' ({world['fund_d2']}); move or "
        "delete them first, or choose references CASCADE or REASSIGN."
    )


# -- history: a version is a row of its own, under the same rule ---------------------------


@pytest.fixture
def superuser(db) -> Client:
    """A client logged in as a superuser (every permission, every district)."""
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("superuser", password=None))
    return client


@pytest.fixture
def moved(world, superuser):
    """Earlier versions outside d1: payer fund_d1 was renamed "Rapta fund at Rajo" and
    placed at d2, then put back (versions: at d1, at d2, current at d1); municipality w1
    was moved under d2 and back (versions: under d1, under d2, current under d1)."""
    admin = GraphQLClient(superuser)
    for document in (
        f'updatePayer(input: {{uuid: "{world["fund_d1"]}", name: "Rapta fund at Rajo", '
        f'location: "{world["d2"]}"}}) {{ errors {{ code }} }}',
        f'updatePayer(input: {{uuid: "{world["fund_d1"]}", name: "Rapta fund", '
        f'location: "{world["d1"]}"}}) {{ errors {{ code }} }}',
        f'moveLocation(input: {{uuid: "{world["w1"]}", parent: "{world["d2"]}"}}) '
        "{ errors { code } }",
        f'moveLocation(input: {{uuid: "{world["w1"]}", parent: "{world["d1"]}"}}) '
        "{ errors { code } }",
    ):
        assert "[]" in json.dumps(admin.data(f"mutation {{ {document} }}"))
    return world


#: (GraphQL type, sample row, the fields of a version, the earliest version's values):
#: the two versioned types of the sample world with a version outside d1.
HISTORIES = [
    ("payer", "fund_d1", "name location { code }",
     {"name": "Rapta fund", "location": {"code": "R1D1"}}),
    ("location", "w1", "code parent { code }", {"code": "R1D1W1", "parent": {"code": "R1D1"}}),
]  # fmt: skip


@pytest.mark.parametrize(("field", "row", "selection", "earliest"), HISTORIES)
def test_history_lists_only_the_versions_the_user_may_read(
    district_user, moved, compile_reads, field, row, selection, earliest
):
    """A version placed outside the districts is absent from ``history``,
    ``historyConnection`` and ``historyCount``, as it is from ``<field>(uuid:)`` of its
    own uuid: nothing of it (its location, its name then) reaches the user."""
    document = (
        f'{{ {field}(uuid: "{moved[row]}") {{ historyCount history {{ {selection} }} '
        f"historyConnection {{ totalCount edges {{ node {{ {selection} }} }} }} }} }}"
    )
    seen = GraphQLClient(district_user).post(document)
    assert seen == {
        "data": {
            field: {
                "historyCount": 1,
                "history": [earliest],
                "historyConnection": {"totalCount": 1, "edges": [{"node": earliest}]},
            }
        }
    }
    no_location_in(json.dumps(seen).replace("R1D1", ""), moved)
    assert "at Rajo" not in json.dumps(seen)


def test_history_shows_every_version_to_a_user_of_every_district(client_with, moved):
    everyone = GraphQLClient(client_with(*EDITOR))
    data = everyone.data(
        f'{{ payer(uuid: "{moved["fund_d1"]}") '
        "{ historyCount history { name location { code } } } }"
    )
    assert data == {
        "payer": {
            "historyCount": 2,
            "history": [
                {"name": "Rapta fund at Rajo", "location": {"code": "R2D1"}},
                {"name": "Rapta fund", "location": {"code": "R1D1"}},
            ],
        }
    }


def test_history_locations_need_the_location_permission(client_with, moved):
    """A payer-only viewer reads the versions without their location (null and the
    permission error, as on the current row)."""
    viewer = GraphQLClient(client_with(VIEW_PAYER))
    result = viewer.post(
        f'{{ payer(uuid: "{moved["fund_d1"]}") {{ history {{ name location {{ code }} }} }} }}'
    )
    assert result["data"] == {
        "payer": {
            "history": [
                {"name": "Rapta fund at Rajo", "location": None},
                {"name": "Rapta fund", "location": None},
            ]
        }
    }
    assert [(e["message"], e["path"]) for e in result["errors"]] == [
        (f"Permission denied: you need '{VIEW_LOCATION}'.", ["payer", "history", i, "location"])
        for i in range(2)
    ]


FHIR_HISTORIES = [("Organization", "fund_d1"), ("Location", "w1")]


@pytest.mark.parametrize(("resource_type", "row"), FHIR_HISTORIES)
def test_fhir_history_and_vread_leave_out_the_versions_outside_the_districts(
    district_user, superuser, moved, resource_type, row
):
    """``_history`` lists the versions the user may read, under their own numbers (a
    version id is the same for every user: the current one is the ETag of the resource);
    a vread of a version outside the districts is a 404."""
    key = moved[row]
    history = district_user.get(f"/fhir/{resource_type}/{key}/_history")
    assert history.status_code == 200
    bundle = validated(history.json())
    assert bundle["total"] == 2
    assert [e["resource"]["meta"]["versionId"] for e in bundle["entry"]] == ["3", "1"]
    assert [e["request"] for e in bundle["entry"]] == [
        {"method": "PUT", "url": f"{resource_type}/{key}/_history/3"},
        {"method": "POST", "url": f"{resource_type}/{key}/_history/1"},
    ]
    text = json.dumps(bundle)
    assert moved["d2"] not in text and "at Rajo" not in text
    hidden = district_user.get(f"/fhir/{resource_type}/{key}/_history/2")
    assert (hidden.status_code, hidden.json()["issue"][0]["diagnostics"]) == (
        404,
        f"{resource_type}/{key} has no version 2 you may read (district rights).",
    )
    assert moved["d2"] not in hidden.content.decode()
    first = district_user.get(f"/fhir/{resource_type}/{key}/_history/1")
    assert first.status_code == 200 and first.json()["meta"]["versionId"] == "1"
    # a user of every district reads all three
    assert superuser.get(f"/fhir/{resource_type}/{key}/_history").json()["total"] == 3
    assert superuser.get(f"/fhir/{resource_type}/{key}/_history/2").status_code == 200


ADMIN_HISTORIES = [("payer/payer", Payer, "fund_d1"), ("location/location", Location, "w1")]


@pytest.mark.parametrize(("path", "model", "row"), ADMIN_HISTORIES)
def test_the_admin_history_table_leaves_out_the_versions_outside_the_districts(
    client_with, superuser, moved, path, model, row
):
    user = client_with(*EDITOR, districts=[Location.objects.get(uuid=moved["d1"])], staff=True)
    current = model.objects.current().get(uuid=moved[row])
    page = user.get(f"/admin/{path}/{current.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    table = text[text.index('<table class="version-history">') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 2  # the header and the earliest version
    assert "R2D1" not in table and "Rajo" not in table
    earlier = model.objects.filter(legacy=current).order_by("validity_to")
    assert f"/admin/{path}/{earlier[0].pk}/change/" in table
    assert f"/admin/{path}/{earlier[1].pk}/change/" not in table
    everyone = superuser.get(f"/admin/{path}/{current.pk}/change/")
    assert "R2D1 Rajo" in everyone.content.decode()


# -- editors who may not view the type: the row a write changes --------------------------


def _editor_without_view(client_with, label: str) -> Client:
    """A user holding every permission of module ``label`` but its view permissions."""
    return client_with(*(p for p in samples.module_permissions(label) if ".view_" not in p))


WRITES_BY_UUID = [
    ("location", "w1", 'updateLocation(input: {uuid: "{key}", name: "Renamed"}) '
     "{ location { code } errors { field code message } }"),
    ("location", "v1", 'deleteLocation(input: {uuid: "{key}"}) '
     "{ location { code } errors { field code message } }"),
    ("payer", "fund_d1", 'updatePayer(input: {uuid: "{key}", name: "Renamed"}) '
     "{ payer { name } errors { field code message } }"),
    ("payer", "fund_d1", 'deletePayer(input: {uuid: "{key}"}) '
     "{ payer { name } errors { field code message } }"),
    ("payer", "fund_d1", 'deletePayers(input: {uuids: ["{key}"]}) '
     "{ payers { name } errors { field code message } }"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "row", "document"), WRITES_BY_UUID)
def test_a_write_by_an_editor_who_may_not_view_the_type_tells_nothing_of_the_uuid(
    client_with, world, label, row, document
):
    """Naming the row to change needs the type's view permission, whatever the uuid: an
    existing row and an unknown uuid get one refusal, and nothing is written (without
    it, an existing row was changed and read back, an unknown one was ``NOT_FOUND``)."""
    editor = GraphQLClient(_editor_without_view(client_with, label))
    before = samples.digest()
    answers = [
        editor.post(f"mutation {{ {document.replace('{key}', key)} }}")
        for key in (world[row], UNKNOWN)
    ]
    same_but_uuid(answers[0], world[row], answers[1])
    assert answers[0]["data"] is None
    [error] = answers[0]["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == (
        f"Permission denied: you need '{label}.view_{label}' to name a {label}."
    )
    assert samples.digest() == before


FHIR_WRITES = [("Location", "location", "w1"), ("Organization", "payer", "fund_d1")]


@pytest.mark.parametrize("method", ["put", "delete"])
@pytest.mark.parametrize(("resource_type", "label", "row"), FHIR_WRITES)
def test_fhir_writes_by_an_editor_who_may_not_view_the_type_tell_nothing_of_the_id(
    client_with, world, method, resource_type, label, row
):
    """FHIR R4 http.html#update: this server does not create on update (CapabilityStatement
    ``updateCreate`` false), an unknown id is a 404; for an editor without the type's view
    permission every id is the same 403 naming it, before any row is looked up (an
    existing id was a 403 about its reference or the update itself, an unknown one 404)."""
    body = _fhir_body(world, resource_type, world[row])
    editor = _editor_without_view(client_with, label)
    before = samples.digest()
    answers = []
    for key in (world[row], UNKNOWN):
        url = f"/fhir/{resource_type}/{key}"
        if method == "put":
            response = editor.put(url, {**body, "id": key}, content_type=FHIR_JSON)
        else:
            response = editor.delete(url)
        answers.append((response.status_code, response.json()))
    same_but_uuid(answers[0], world[row], answers[1])
    assert answers[0] == (
        403,
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": "forbidden",
                    "diagnostics": f"Permission denied: you need '{label}.view_{label}' to "
                    f"name a {label}.",
                }
            ],
        },
    )
    assert samples.digest() == before


# -- every uuid argument of every root field, whichever module declares it ---------------


def _uuid_arguments() -> list[tuple[str, str, str, str]]:
    """(root field, the argument as GraphQL with ``{key}`` for the uuid, the selection,
    the view permission of the field's type) of every root query field's argument of type
    UUID or [UUID], and of every such field of an input-object argument, in every active
    module."""
    from graphql import GraphQLInputObjectType, GraphQLList, get_named_type, get_nullable_type

    def value(graphql_type) -> str:
        is_list = isinstance(get_nullable_type(graphql_type), GraphQLList)
        return '["{key}"]' if is_list else '"{key}"'

    schema = get_schema()._schema
    cases = []
    for name, field in schema.query_type.fields.items():
        returned = get_named_type(field.type)
        connection = "edges" in getattr(returned, "fields", {})
        if connection:
            returned = get_named_type(returned.fields["edges"].type).fields["node"].type
            returned = get_named_type(returned)
        origin = getattr((returned.extensions or {}).get("strawberry-definition"), "origin", None)
        permission = getattr(origin, "view_permission", None)
        if permission is None:  # node(id:): a global id, no uuid
            continue
        selection = "{ totalCount edges { node { uuid } } }" if connection else "{ uuid }"
        for argument, declared in field.args.items():
            named = get_named_type(declared.type)
            if named.name == "UUID":
                cases.append((name, f"{argument}: {value(declared.type)}", selection, permission))
            elif isinstance(named, GraphQLInputObjectType):
                for inner, item in named.fields.items():
                    if get_named_type(item.type).name == "UUID":
                        given = f"{argument}: {{{inner}: {value(item.type)}}}"
                        cases.append((name, given, selection, permission))
    return cases


@pytest.mark.parametrize(("root", "argument", "selection", "permission"), _uuid_arguments())
def test_no_uuid_argument_tells_a_row_of_a_type_the_user_may_not_view(
    client_with, world, root, argument, selection, permission
):
    """A user holding only the field's own view permission names, in each uuid argument,
    each sample row of a type they may not view, and a uuid no row has: the answers are
    the same (a refusal naming the permission, or the answer to an unknown uuid), so
    that the argument is no probe of that type's rows (a module's filter on another
    module's type goes through the core rule, :func:`backend.rights.require_known`)."""
    viewer = GraphQLClient(client_with(permission))
    foreign = [n for n, t in samples.NAMES.items() if samples.VIEW[t] != permission]
    assert foreign
    for row in foreign:
        answers = [
            viewer.post(f"{{ {root}({argument.replace('{key}', key)}) {selection} }}")
            for key in (world[row], UNKNOWN)
        ]
        same_but_uuid(answers[0], world[row], answers[1])
