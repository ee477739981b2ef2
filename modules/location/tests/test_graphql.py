"""The location module's read API: filters, ordering, validity, paging, lookups."""

import pytest
from django.test import override_settings

from modules.location.models import Location
from modules.location.tests.trees import create_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """R1 Ultha > R1D1 Rapta > R1D1M1 Achi > villages; R2 Tahida > R2D1 Rajo; a history row."""
    tree = create_tree(
        "ultha=R1 tahida=R2 rapta=R1D1 rajo=R2D1 achi=R1D1M1 jaber=R2D1M1 v1=R1D1M1V1 "
        "v2=R1D1M1V2 v3=R2D1M1V1"
    )
    ultha = tree["ultha"]
    Location.objects.create(
        code="R0001",
        name="Region",
        type="R",
        validity_from="2016-01-01T00:00:00Z",
        validity_to="2016-12-31T00:00:00Z",
        legacy_id=ultha.pk,
    )
    return tree


def codes(gql, args="", fields="code"):
    data = gql.data(f"{{ locations{args} {{ totalCount edges {{ node {{ {fields} }} }} }} }}")
    nodes = [edge["node"]["code"] for edge in data["locations"]["edges"]]
    if "first" not in args and "last" not in args:
        assert data["locations"]["totalCount"] == len(nodes)
    return nodes


def test_current_rows_by_code_by_default(gql, tree):
    assert codes(gql) == [
        "R1", "R1D1", "R1D1M1", "R1D1M1V1", "R1D1M1V2", "R2", "R2D1", "R2D1M1", "R2D1M1V1"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("{type: REGION}", ["R1", "R2"]),
        ('{code: "r1d1"}', ["R1D1"]),
        ('{codeStartsWith: "r2d1"}', ["R2D1", "R2D1M1", "R2D1M1V1"]),
        ('{codeContains: "m1v"}', ["R1D1M1V1", "R1D1M1V2", "R2D1M1V1"]),
        ('{nameContains: "RA"}', ["R1D1", "R1D1M1V1", "R2D1"]),
        ('{search: "v2"}', ["R1D1M1V2"]),
        ('{search: "jab"}', ["R2D1M1"]),
        ('{type: VILLAGE, search: "r1"}', ["R1D1M1V1", "R1D1M1V2"]),
    ],
)
def test_filters(gql, tree, where, expected):
    assert codes(gql, f"(filter: {where})") == expected


def test_parent_and_ancestor_filters(gql, tree):
    ultha = tree["ultha"].uuid
    assert codes(gql, f'(filter: {{parent: "{ultha}"}})') == ["R1D1"]
    assert codes(gql, f'(filter: {{ancestor: "{ultha}"}})') == [
        "R1D1", "R1D1M1", "R1D1M1V1", "R1D1M1V2"
    ]  # fmt: skip
    assert codes(gql, f'(filter: {{ancestor: "{ultha}", type: VILLAGE}})') == [
        "R1D1M1V1", "R1D1M1V2"
    ]  # fmt: skip


def test_several_parents_or_ancestors_in_one_page(gql, tree):
    """One page, one totalCount and one cursor over the children of several locations."""
    rajo = Location.objects.get(code="R2D1").uuid
    rapta, achi = tree["rapta"].uuid, tree["achi"].uuid
    assert codes(gql, f'(filter: {{parents: ["{rapta}", "{rajo}"]}})') == ["R1D1M1", "R2D1M1"]
    assert codes(gql, f'(filter: {{ancestors: ["{achi}", "{rajo}"]}})') == [
        "R1D1M1V1", "R1D1M1V2", "R2D1M1", "R2D1M1V1"
    ]  # fmt: skip
    assert codes(gql, f'(filter: {{ancestors: ["{rapta}", "{rajo}"], type: VILLAGE}})') == [
        "R1D1M1V1", "R1D1M1V2", "R2D1M1V1"
    ]  # fmt: skip
    assert codes(gql, "(filter: {parents: []})") == []
    assert codes(gql, "(filter: {ancestors: []})") == []
    page = gql.data(
        f'{{ locations(first: 2, filter: {{ancestors: ["{achi}", "{rajo}"]}}) '
        "{ totalCount pageInfo { hasNextPage endCursor } edges { node { code } } } }"
    )["locations"]
    assert page["totalCount"] == 4 and page["pageInfo"]["hasNextPage"]
    after = page["pageInfo"]["endCursor"]
    rest = codes(gql, f'(first: 2, after: "{after}", filter: {{ancestors: ["{achi}", "{rajo}"]}})')
    assert rest == ["R2D1M1", "R2D1M1V1"]


def test_several_parents_cost_one_query_more_than_none(gql, tree, count_queries):
    """The uuids are checked in one query, however many; the page and its count in one."""
    rajo = Location.objects.get(code="R2D1").uuid
    many = ", ".join(f'"{u}"' for u in (tree["rapta"].uuid, rajo, tree["achi"].uuid))
    query = "{ locations(filter: %s) { totalCount edges { node { code } } } }"
    _, plain = count_queries(gql.data, query % "{type: VILLAGE}")
    _, one = count_queries(gql.data, query % f'{{parents: ["{rajo}"]}}')
    _, three = count_queries(gql.data, query % f"{{parents: [{many}], ancestors: [{many}]}}")
    assert len(one) == len(three) == len(plain) + 1


NO_SUCH = "00000000-0000-0000-0000-00000000beef"


@pytest.mark.parametrize("field", ["parent", "ancestor", "parents", "ancestors"])
def test_an_unknown_uuid_in_a_filter_is_an_error_naming_it(gql, tree, field):
    achi = tree["achi"].uuid
    value = f'"{NO_SUCH}"' if field in {"parent", "ancestor"} else f'["{achi}", "{NO_SUCH}"]'
    messages = gql.errors(f"{{ locations(filter: {{{field}: {value}}}) {{ totalCount }} }}")
    assert messages == [f"filter.{field}: no location has uuid {NO_SUCH}."]


def test_every_unknown_uuid_is_named_and_a_deleted_location_is_known(gql, tree):
    other = "00000000-0000-0000-0000-00000000cafe"
    where = f'{{parent: "{NO_SUCH}", ancestors: ["{other}"]}}'
    messages = gql.errors(f"{{ locations(filter: {where}) {{ totalCount }} }}")
    assert messages == [
        f"filter.parent: no location has uuid {NO_SUCH}; "
        f"filter.ancestors: no location has uuid {other}."
    ]
    old = Location.objects.get(code="R0001").uuid  # a history row: known, an empty page
    assert codes(gql, f'(filter: {{parent: "{old}"}})') == []


def test_a_filter_list_over_the_limit_is_an_error(gql, tree):
    many = ", ".join(f'"{NO_SUCH}"' for _ in range(1001))
    messages = gql.errors(f"{{ locations(filter: {{parents: [{many}]}}) {{ totalCount }} }}")
    assert messages == ["filter.parents has 1001 values; at most 1000."]


def test_ordering(gql, tree):
    assert codes(gql, "(filter: {type: DISTRICT}, orderBy: [{field: NAME, direction: DESC}])") == [
        "R1D1", "R2D1"
    ]  # fmt: skip
    assert codes(gql, "(orderBy: [{field: TYPE}, {field: CODE, direction: DESC}], first: 3)")[
        :3
    ] == ["R2", "R1", "R2D1"]


def test_validity_history_and_state_at_a_date(gql, tree):
    assert "R0001" not in codes(gql)
    assert "R0001" in codes(gql, "(validity: {includeHistory: true})")
    assert codes(gql, '(validity: {at: "2016-06-01T00:00:00Z"})') == ["R0001"]
    message = gql.errors(
        '{ locations(validity: {at: "2016-06-01T00:00:00Z", includeHistory: true}) { totalCount } }'
    )
    assert message == ["validity: give either 'at' or 'includeHistory', not both."]


def test_location_fields_and_lookups(gql, tree):
    achi = tree["achi"]
    data = gql.data(
        """query($uuid: UUID!) { location(uuid: $uuid) {
            id uuid code name type validityTo parent { code parent { code } }
            children { code } malePopulation families } }""",
        {"uuid": str(achi.uuid)},
    )["location"]
    assert data["uuid"] == str(achi.uuid)
    assert data["type"] == "MUNICIPALITY"
    assert data["parent"] == {"code": "R1D1", "parent": {"code": "R1"}}
    assert data["children"] == [{"code": "R1D1M1V1"}, {"code": "R1D1M1V2"}]
    assert data["validityTo"] is None and data["malePopulation"] is None
    node = gql.data(
        "query($id: ID!) { node(id: $id) { id ... on Location { code } } }", {"id": data["id"]}
    )["node"]
    assert node == {"id": data["id"], "code": "R1D1M1"}
    missing = gql.data('{ location(uuid: "00000000-0000-0000-0000-000000000000") { code } }')
    assert missing == {"location": None}


def test_children_skip_history_rows(gql, tree):
    Location.objects.create(
        code="R1D9", name="Old", type="D", parent=tree["ultha"], validity_to="2016-12-31T00:00Z"
    )
    data = gql.data(f'{{ location(uuid: "{tree["ultha"].uuid}") {{ children {{ code }} }} }}')
    assert data["location"]["children"] == [{"code": "R1D1"}]


def test_bad_arguments_are_clear_errors(gql, tree):
    assert "cannot represent a UUID" in gql.errors('{ location(uuid: "nope") { code } }')[0]
    assert gql.errors('{ locations(first: 1, after: "bad") { totalCount } }') == [
        "Argument 'after' is not a cursor of this connection (ordered by code)."
    ]
    assert "LocationType" in gql.errors("{ locations(filter: {type: CITY}) { totalCount } }")[0]


@override_settings(GRAPHQL_DEFAULT_PAGE_SIZE=4, GRAPHQL_MAX_PAGE_SIZE=6)
def test_default_page_size_and_maximum(gql, tree):
    page = gql.data(
        "{ locations { totalCount pageInfo { hasNextPage endCursor } edges { cursor } } }"
    )
    assert page["locations"]["totalCount"] == 9
    assert len(page["locations"]["edges"]) == 4
    assert page["locations"]["pageInfo"]["hasNextPage"] is True
    after = page["locations"]["pageInfo"]["endCursor"]
    rest = codes(gql, f'(first: 6, after: "{after}")')
    assert rest == ["R1D1M1V2", "R2", "R2D1", "R2D1M1", "R2D1M1V1"]
    assert gql.errors("{ locations(first: 7) { totalCount } }") == [
        "Argument 'first' cannot be higher than 6."
    ]
    assert gql.errors("{ locations(last: 7) { totalCount } }") == [
        "Argument 'last' cannot be higher than 6."
    ]


# -- viewerCanChange / viewerCanDelete / viewerCanAddChild: the changes a client offers ----

VIEWER_CAN = "code viewerCanChange viewerCanDelete viewerCanAddChild"
EDITS = ("location.view_location", "location.add_location", "location.change_location")
EDITOR = (*EDITS, "location.delete_location")


def viewer_can(client) -> dict[str, tuple[bool, bool, bool]]:
    """code -> (viewerCanChange, viewerCanDelete, viewerCanAddChild) of every current location."""
    data = client.data(f"{{ locations {{ edges {{ node {{ {VIEWER_CAN} }} }} }} }}")
    return {
        node["code"]: (node["viewerCanChange"], node["viewerCanDelete"], node["viewerCanAddChild"])
        for node in (edge["node"] for edge in data["locations"]["edges"])
    }


def test_viewer_can_follows_the_permissions_and_the_upper_levels_right(gql_as, tree):
    """Without location.manage_upper_levels a region or district is not changed nor
    deleted, and no district is created under a region; a village has no level below."""
    editor = viewer_can(gql_as(*EDITOR))
    assert [editor[code] for code in ("R1", "R1D1", "R1D1M1", "R1D1M1V1")] == [
        (False, False, False),
        (False, False, True),
        (True, True, True),
        (True, True, False),
    ]
    upper = viewer_can(gql_as(*EDITOR, "location.manage_upper_levels"))
    assert [upper[code] for code in ("R1", "R1D1", "R1D1M1V1")] == [
        (True, True, True),
        (True, True, True),
        (True, True, False),
    ]
    renamer = viewer_can(gql_as("location.view_location", "location.change_location"))
    assert renamer["R1D1M1"] == (True, False, False)
    assert set(viewer_can(gql_as("location.view_location")).values()) == {(False, False, False)}


def test_viewer_can_is_false_for_a_history_version_and_a_read_only_token(
    gql, tree, client, make_user
):
    from tests.api_helpers import bearer_token

    data = gql.data(
        f'{{ locations(validity: {{includeHistory: true}}, filter: {{code: "R0001"}}) '
        f"{{ edges {{ node {{ {VIEWER_CAN} }} }} }} }}"
    )
    assert data["locations"]["edges"] == [
        {"node": {"code": "R0001", "viewerCanChange": False, "viewerCanDelete": False,
                  "viewerCanAddChild": False}}
    ]  # fmt: skip
    owner = make_user("owner", *EDITOR, "location.manage_upper_levels")
    one = f'{{ locations(filter: {{code: "R1D1M1"}}) {{ edges {{ node {{ {VIEWER_CAN} }} }} }} }}'
    for scope, can in (("read", False), ("read write", True)):
        token = bearer_token(owner, scope, f"token-{scope.replace(' ', '-')}")
        answer = client.post(
            "/graphql",
            {"query": one},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        node = answer["data"]["locations"]["edges"][0]["node"]
        assert (node["viewerCanChange"], node["viewerCanDelete"]) == (can, can), scope


def test_viewer_can_in_a_mutation_payload(gql_as, tree):
    """A payload's location did not come through the optimizer: asked by a query of its own."""
    editor = gql_as(*EDITOR)
    data = editor.data(
        f'mutation {{ updateLocation(input: {{uuid: "{tree["achi"].uuid}", name: "Achi Thom"}}) '
        f"{{ location {{ {VIEWER_CAN} }} errors {{ code }} }} }}"
    )
    assert data["updateLocation"] == {
        "location": {"code": "R1D1M1", "viewerCanChange": True, "viewerCanDelete": True,
                      "viewerCanAddChild": True},
        "errors": [],
    }  # fmt: skip
