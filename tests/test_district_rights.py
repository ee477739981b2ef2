"""District rights (issue 11, item 10): who reads and changes which rows, by district.

The matrix is derived from the manifests: every sample row (``Manifest.samples``) of
every model a module places in the location tree (``Manifest.placement``), against
these users:

=============  ==========================================================
district A     attached to the sample district d1 (R1D1, in region R1)
district B     attached to the sample district d2 (R2D1, in region R2)
global         holds the global right ``location.all_districts``
no district    attached to nothing, no global right
=============  ==========================================================

The expected cell comes from an oracle written here over the rows' positions (a
location: in or below the user's district -> read and write; an ancestor of it -> read
only; elsewhere -> nothing; a row placed at a location: by that location, not by its
ancestors; at no location -> read only). Reads are asked through ``node(id:)`` and each
root connection of the type (history included); writes through
:func:`backend.rights.is_writable`, and the mutations below through GraphQL.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend import rights
from backend.graphql.schema import get_schema
from conftest import ALL_DISTRICTS
from tests import location_writes as writes
from tests import samples

pytestmark = pytest.mark.django_db

USERS = ("district A", "district B", "global", "no district")
DISTRICT_OF = {"district A": "d1", "district B": "d2"}
#: The view permission of every active module's types, and every permission to change
#: the active modules' rows (from their models), but not the global right.
EDITOR = (
    *sorted(set(samples.VIEW.values())),
    *samples.write_permissions(but=(ALL_DISTRICTS,)),
)
NONE, READ, WRITE = "none", "read", "read and write"


def _model_of(type_name: str):
    definition = get_schema().get_type_by_name(type_name)
    return definition.origin.__strawberry_django_definition__.model


#: (row name, GraphQL type) of every sample row of a placed model.
PLACED = [
    (name, type_)
    for name, type_ in samples.NAMES.items()
    if rights.placement_of(_model_of(type_)) is not None
]


def expected(user: str, name: str, type_: str) -> str:
    """The oracle: what ``user`` may do with the sample row ``name``."""
    if user == "global":
        return WRITE
    district = DISTRICT_OF.get(user)
    district_path = _row("Location", district).path if district else None
    model = _model_of(type_)
    placement = rights.placement_of(model)
    row = _row(type_, name)
    location = row
    if not placement.node:  # the path to the location: "location", "payer__location"
        for name in placement.field.split("__"):
            location = location and getattr(location, name)
    if location is None:
        return READ
    if district_path is None:
        return NONE
    if location.path.startswith(district_path):
        return WRITE
    if placement.node and district_path.startswith(location.path):
        return READ
    return NONE


def _row(type_: str, name: str):
    return _model_of(type_)._default_manager.get(pk=samples.ids(name)[0])


@pytest.fixture
def world() -> None:
    samples.create_world()


@pytest.fixture
def user_of(make_user):
    made = {}

    def get(user: str):
        if user not in made:
            districts = None
            if user in DISTRICT_OF:
                districts = [_row("Location", DISTRICT_OF[user])]
            elif user == "no district":
                districts = []
            made[user] = make_user(user.replace(" ", "_"), *EDITOR, districts=districts)
        return made[user]

    return get


@pytest.fixture
def client_of(user_of):
    from django.test import Client

    from conftest import GraphQLClient

    def get(user: str) -> GraphQLClient:
        client = Client()
        client.force_login(user_of(user))
        return GraphQLClient(client)

    return get


def test_the_matrix_has_rows_of_every_position():
    """The sample world holds each position the rule distinguishes."""
    assert {"r1", "d1", "w1", "v1", "d2", "coop", "fund_d1", "fund_d2", "national"} <= {
        name for name, _ in PLACED
    }


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize(("name", "type_"), PLACED)
def test_node(world, client_of, user, name, type_):
    global_id = samples.GLOBAL_IDS[name]
    data = client_of(user).data(f'{{ node(id: "{global_id}") {{ id }} }}')
    readable = expected(user, name, type_) != NONE
    assert data == {"node": {"id": global_id} if readable else None}


def _connections(type_: str) -> list[str]:
    """The root connection fields listing ``type_``."""
    schema = get_schema()._schema
    return [
        name
        for name, field in schema.query_type.fields.items()
        if str(field.type).strip("!") == f"{type_}Connection"
    ]


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("type_", sorted({t for _, t in PLACED}))
def test_root_connections(world, client_of, user, type_):
    fields = _connections(type_)
    assert fields, f"no root connection lists {type_}"
    query_type = get_schema()._schema.query_type
    for field in fields:
        # every version where the field can list history, else the current rows
        history = "validity" in query_type.fields[field].args
        validity = "validity: {includeHistory: true}, " if history else ""
        data = client_of(user).data(
            f"{{ {field}({validity}first: 1000) {{ totalCount edges {{ node {{ id }} }} }} }}"
        )
        found = {edge["node"]["id"] for edge in data[field]["edges"]}
        wanted = {
            samples.GLOBAL_IDS[name]
            for name, t in PLACED
            if t == type_
            and expected(user, name, t) != NONE
            and (history or _row(t, name).validity_to is None)
        }
        # rows of other tests' fixtures are not part of the world: only sample rows here
        assert found == wanted
        assert data[field]["totalCount"] == len(wanted)


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize(("name", "type_"), PLACED)
def test_writable(world, user_of, user, name, type_):
    # (on a history row too: the services refuse to change history, whatever the districts)
    row = _row(type_, name)
    assert rights.is_writable(user_of(user), row) == (expected(user, name, type_) == WRITE)


# -- nested fields: children, payers and counts of an ancestor; the parent chain -----------


def test_nested_fields_of_an_ancestor_show_only_what_is_in_scope(world, client_of):
    data = client_of("district A").data(
        samples.fill(
            '{ location(uuid: "{r1}") { code children { code } childrenCount '
            "payers { name } payersCount } "
            'village: location(uuid: "{v1}") { parent { parent { parent { code } } } } '
            'other: location(uuid: "{d2}") { code } }'
        )
    )
    assert data == {
        "location": {
            "code": "R1",
            "children": [{"code": "R1D1"}],
            "childrenCount": 1,
            "payers": [],
            "payersCount": 0,
        },
        "village": {"parent": {"parent": {"parent": {"code": "R1"}}}},
        "other": None,
    }
    data = client_of("district A").data(
        samples.fill('{ location(uuid: "{d1}") { payers { name } payersCount } }')
    )
    assert data == {"location": {"payers": [{"name": "Rapta fund"}], "payersCount": 1}}


@pytest.mark.parametrize("compile_reads", [False, True])
def test_a_restricted_page_costs_the_queries_of_an_unrestricted_one(
    world, client_of, settings, compile_reads
):
    """The restriction is a subquery inside each SQL query, not a query per row (the
    general executor's queries, and the SQL compiler's one statement on PostgreSQL)."""
    settings.GRAPHQL_COMPILE = compile_reads
    document = (
        "{ locations(first: 100) { totalCount edges { node { code parent { code } "
        "children { code } childrenCount payers { name } payersCount } } } }"
    )
    counts = {}
    for user in ("global", "district A"):
        client = client_of(user)
        client.data("{ __typename }")  # the session's own queries, once
        with CaptureQueriesContext(connection) as captured:
            data = client.data(document)
        counts[user] = len(captured)
        assert data["locations"]["totalCount"] == {"global": 6, "district A": 4}[user]
    # the session, the user, the user's and the groups' permissions (read once for the
    # view permissions and the global right), the page (totalCount in it), children, payers;
    # compiled: the page with everything in it
    expected = 5 if compile_reads and connection.vendor == "postgresql" else 7
    assert counts == {"global": expected, "district A": expected}


# -- writes: a row the user may not read is unknown; one they read but may not change is
# -- refused with FORBIDDEN naming the rule; nothing written --------------------------------

ERRORS = "errors { field code message }"
OK = "OK"
#: A uuid no row has: a row the user may not read must be answered exactly like it.
UNKNOWN = "00000000-0000-4000-8000-00000000dead"


def unknown(field: str, name: str) -> tuple[str, str, str]:
    """The outcome of naming the sample row ``name`` in the input ``field`` when the user
    may not read it: the ``NOT_FOUND`` of a uuid no row has."""
    return ("NOT_FOUND", field, name)


# fmt: off
#: A district A editor (every permission but the global right): mutation, input, outcome
#: (OK, the text of the FORBIDDEN message, or :func:`unknown`); the writes this table
#: shares with the upper-level test are named in :mod:`tests.location_writes`.
WRITES = [
    (*writes.RENAME_W1, OK),
    (*writes.RENAME_D1, OK),
    (*writes.RENAME_R1, "location {r1} is"),
    ("updateLocation", 'uuid: "{d2}", name: "Rajo Thom"', unknown("uuid", "d2")),
    (*writes.CREATE_MUNICIPALITY_IN_D1, OK),
    ("createLocation", 'code: "R2D1W2", name: "Boeng", type: MUNICIPALITY, parent: "{d2}"',
     unknown("parent", "d2")),
    (*writes.CREATE_DISTRICT_IN_R1, "location {r1} is outside them"),
    (*writes.CREATE_REGION, "not at the top"),
    (*writes.MOVE_W1_TO_D2, unknown("parent", "d2")),
    (*writes.MOVE_D1_TO_R2, unknown("parent", "r2")),
    ("moveLocation", 'uuid: "{d2}", parent: "{r1}"', unknown("uuid", "d2")),
    (*writes.DELETE_V1, OK),
    ("deleteLocation", 'uuid: "{d2}", descendants: true, references: CASCADE',
     unknown("uuid", "d2")),
    ("deleteLocation", 'uuid: "{w1}", descendants: true, references: REASSIGN, reassignTo: "{r1}"',
     "location {r1} is"),
    ("deleteLocation", 'uuid: "{w1}", descendants: true, references: REASSIGN, reassignTo: "{d2}"',
     unknown("reassignTo", "d2")),
    ("deleteLocation", 'uuid: "{d1}", newParent: "{d2}"', unknown("newParent", "d2")),
    ("createPayer", 'name: "Fund", type: DONOR, location: "{d1}"', OK),
    ("createPayer", 'name: "Fund", type: DONOR, location: "{r1}"', "location {r1} is outside them"),
    ("createPayer", 'name: "Fund", type: DONOR, location: "{d2}"', unknown("location", "d2")),
    ("createPayer", 'name: "Fund", type: DONOR', "at no location"),
    ("updatePayer", 'uuid: "{fund_d1}", phone: "12"', OK),
    ("updatePayer", 'uuid: "{fund_d1}", location: "{d2}"', unknown("location", "d2")),
    ("updatePayer", 'uuid: "{coop}", phone: "12"', unknown("uuid", "coop")),
    ("updatePayer", 'uuid: "{national}", phone: "12"', "payer {national} is"),
    ("deletePayer", 'uuid: "{fund_d2}"', unknown("uuid", "fund_d2")),
    ("deletePayers", 'uuids: ["{fund_d1}", "{fund_d2}"]', unknown("uuids", "fund_d2")),
]
# fmt: on


@pytest.mark.parametrize(("name", "arguments", "outcome"), WRITES)
def test_writes_of_a_district_user(world, client_of, name, arguments, outcome):
    client = client_of("district A")
    before = samples.digest()
    document = samples.fill(f"mutation {{ {name}(input: {{{arguments}}}) {{ {ERRORS} }} }}")
    result = client.post(document)
    if outcome == OK:
        assert result == {"data": {name: {"errors": []}}}
        assert samples.digest() != before
        return
    if isinstance(outcome, tuple):  # not readable: exactly the answer to an unknown uuid
        _, field, row = outcome
        hidden = samples.fill(f"{{{row}}}")
        [error] = result["data"][name]["errors"]
        assert (error["field"], error["code"]) == (field, "NOT_FOUND")
        assert hidden in error["message"]
        answer_to_unknown = client.post(document.replace(hidden, UNKNOWN))
        assert result == _with(answer_to_unknown, UNKNOWN, hidden)
        assert samples.digest() == before
        return
    assert result["data"] is None
    [error] = result["errors"]
    # a client tells it from a missing permission by its data, not its words
    assert error["extensions"] == {"code": "FORBIDDEN", "reason": "OUTSIDE_DISTRICTS"}
    assert error["message"].startswith("District rights: you may ")
    assert samples.fill(outcome) in error["message"]
    assert samples.digest() == before


def _with(answer: dict, old: str, new: str) -> dict:
    """``answer`` (JSON) with the text ``old`` replaced by ``new`` everywhere."""
    return json.loads(json.dumps(answer).replace(old, new))


#: A district editor without the upper-level right (openIMIS keeps it apart): writes
#: outside the districts that need it too, and the refusal they get.
WITHOUT_UPPER_LEVELS = [
    (*writes.CREATE_DISTRICT_IN_R1, "you may place locations only in or below your "
     "districts; location {r1} is outside them."),
    (*writes.CREATE_REGION, "you may place locations only in or below your districts, "
     "not at the top of the location tree or at no location."),
    ("moveLocation", 'uuid: "{d1}", parent: "{r2}"', "you may place locations only in or "
     "below your districts; location {r2} is outside them."),
    (*writes.RENAME_R1, "you may change only locations in or below your districts; "
     "location {r1} is outside them."),
]  # fmt: skip


@pytest.mark.parametrize(("name", "arguments", "message"), WITHOUT_UPPER_LEVELS)
def test_a_write_outside_the_districts_is_refused_as_such(world, gql_as, name, arguments, message):
    """Not as the missing upper-level right: holding it would not let the write through.
    The user is attached to d1 and d2 (so that R2 is read, above d2)."""
    districts = [_row("Location", "d1"), _row("Location", "d2")]
    permissions = [p for p in EDITOR if p != "location.manage_upper_levels"]
    client = gql_as(*permissions, username="district_editor", districts=districts)
    before = samples.digest()
    document = samples.fill(f"mutation {{ {name}(input: {{{arguments}}}) {{ {ERRORS} }} }}")
    result = client.post(document)
    assert result["data"] is None
    assert [(e["message"], e["extensions"]) for e in result["errors"]] == [
        (
            samples.fill(f"District rights: {message}"),
            {"code": "FORBIDDEN", "reason": "OUTSIDE_DISTRICTS"},
        )
    ]
    assert samples.digest() == before


def test_the_global_right_writes_outside_any_district(world, client_of):
    result = client_of("global").data(
        samples.fill(
            f'mutation {{ updateLocation(input: {{uuid: "{{d2}}", name: "R"}}) {{ {ERRORS} }} }}'
        )
    )
    assert result == {"updateLocation": {"errors": []}}


# -- validity of the attachment ----------------------------------------------------------


def test_an_ended_or_future_attachment_gives_nothing(world, client_of, user_of):
    from django.utils import timezone

    user = user_of("district A")
    attachment = apps.get_model("location", "UserDistrict").objects.get(user=user)
    query = samples.fill('{ location(uuid: "{d1}") { code } }')
    assert client_of("district A").data(query) == {"location": {"code": "R1D1"}}
    attachment.validity_to = timezone.now()
    attachment.save()
    assert client_of("district A").data(query) == {"location": None}
    attachment.validity_to = None
    attachment.validity_from = timezone.now() + timezone.timedelta(days=1)
    attachment.save()
    assert client_of("district A").data(query) == {"location": None}


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_keeps_the_access_of_existing_users(migrator):
    """Users and groups holding location permissions before district rights get the
    global right (migration location 0009); superusers and users without any keep none."""
    old = migrator.apply_initial_migration(("location", "0008_search_indexes"))
    Permission = old.apps.get_model("auth", "Permission")
    ContentType = old.apps.get_model("contenttypes", "ContentType")
    Group = old.apps.get_model("auth", "Group")
    OldUser = old.apps.get_model("auth", "User")
    content_type, _ = ContentType.objects.get_or_create(app_label="location", model="location")
    view, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="view_location", defaults={"name": "Can view"}
    )
    viewers = Group.objects.create(name="viewers")
    viewers.permissions.add(view)
    direct = OldUser.objects.create(username="direct")
    direct.user_permissions.add(view)
    member = OldUser.objects.create(username="member")
    member.groups.add(viewers)
    OldUser.objects.create(username="nobody")

    new = migrator.apply_tested_migration(("location", "0009_keep_access_on_upgrade"))

    NewUser = new.apps.get_model("auth", "User")
    NewGroup = new.apps.get_model("auth", "Group")
    right = {"codename": "all_districts", "content_type__app_label": "location"}
    assert NewGroup.objects.get(name="viewers").permissions.filter(**right).exists()
    granted = set(
        NewUser.objects.filter(
            user_permissions__in=new.apps.get_model("auth", "Permission").objects.filter(**right)
        ).values_list("username", flat=True)
    )
    assert granted == {"direct"}  # "member" holds it through the group, "nobody" not at all


def test_nested_connections_show_only_what_is_in_scope(world, client_of):
    """The paginated forms of ``children`` and ``payers`` page and count the rows in
    scope, as the lists and counts above do."""
    query = samples.fill(
        '{ location(uuid: "{r1}") { childrenConnection(first: 5) { totalCount '
        "edges { node { code } } } payersConnection(first: 5) { totalCount "
        "edges { node { name } } } } }"
    )
    region = _row("Location", "r1")
    region.children.create(code="R1D9", name="Outside A", type="D")  # not district A's
    data = client_of("district A").data(query)
    assert data == {
        "location": {
            "childrenConnection": {"totalCount": 1, "edges": [{"node": {"code": "R1D1"}}]},
            "payersConnection": {"totalCount": 0, "edges": []},
        }
    }
    seen = client_of("global").data(query)["location"]
    assert seen["childrenConnection"]["totalCount"] == region.children.current().count() > 1
    assert seen["payersConnection"]["totalCount"] == region.payers.current().count() > 0


# -- what a client is told it may change: Location.viewerCan* ------------------------------


def viewer_can_fields() -> dict[str, list[str]]:
    """The viewerCan* fields of each placed type that has them, in the composed schema
    (a module's type need not: the example module's has none)."""
    types = get_schema()._schema.type_map
    fields = {
        type_: [f for f in types[type_].fields if f.startswith("viewerCan")]
        for type_ in {type_ for _, type_ in PLACED}
    }
    return {type_: names for type_, names in fields.items() if names}


def test_the_editor_holds_every_permission_of_the_active_modules_but_the_global_right():
    """From the permission table: a module's rows are written by the same users."""
    table = {p for module in samples.MODULES for p in samples.module_permissions(module.label)}
    assert "payer.delete_payer" in table and "location.manage_upper_levels" in table
    assert set(EDITOR) == {p for p in table if ".view_" not in p} - {ALL_DISTRICTS} | set(
        samples.VIEW.values()
    )


@pytest.mark.parametrize("user", USERS)
def test_viewer_can_says_what_the_writes_allow(world, client_of, user):
    """Each row the user reads says whether they may change and delete it (and add a
    location under a location): exactly the rows they may write (the region above their
    district, a payer at no location are read only), a current row (a history version is
    never changed), a level below it for a child."""
    viewer_can = viewer_can_fields()
    assert viewer_can["Location"] == ["viewerCanChange", "viewerCanDelete", "viewerCanAddChild"]
    assert viewer_can["Payer"] == ["viewerCanChange", "viewerCanDelete"]
    for name, type_ in PLACED:
        if expected(user, name, type_) == NONE or type_ not in viewer_can:
            continue
        row = _row(type_, name)
        fields = " ".join(viewer_can[type_])
        data = client_of(user).data(
            f'{{ node(id: "{samples.GLOBAL_IDS[name]}") {{ ... on {type_} {{ {fields} }} }} }}'
        )
        writable = expected(user, name, type_) == WRITE and row.validity_to is None
        wanted = {"viewerCanChange": writable, "viewerCanDelete": writable}
        if type_ == "Location":
            wanted["viewerCanAddChild"] = writable and row.type != "V"
        assert data["node"] == wanted, (user, name)
