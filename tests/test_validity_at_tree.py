"""Reads at an instant (``validity: {at}``) follow the tree as it was then.

Given two regions, district R1D1 (2 municipalities, 5 villages) below R1 since 2020,
when R1D1 moves to R2 today, then a read at an instant before the move counts R1D1's
villages under R1 and a read after it under R2, on both executors (the compiled SQL path
on PostgreSQL, the general one everywhere). Relations of an at-instant row that read
today's rows (``children``, ``parent``, the counts) are refused, naming them, and so
are they in a read of every version (``validity: {includeHistory: true}``).
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from modules.location.models import Location
from tests.test_compiler import postgresql_only

pytestmark = pytest.mark.django_db

SINCE = "2020-01-01T00:00:00Z"
BEFORE_MOVE = "2021-06-01T00:00:00Z"
AFTER_MOVE = "2100-01-01T00:00:00Z"
#: code -> number of villages below it
VILLAGES = {"R1D1M1": 3, "R1D1M2": 2, "R1D2M1": 2, "R2D1M1": 4}


@pytest.fixture
def moved(gql):
    """The tree above, R1D1 moved from R1 to R2 by ``moveLocation``; code -> current row."""
    rows: dict[str, Location] = {}

    def add(code: str, kind: str, parent: str | None) -> None:
        rows[code] = Location.objects.create(
            code=code, name=f"Place {code}", type=kind, validity_from=SINCE,
            parent=rows[parent] if parent else None,
        )  # fmt: skip

    for code in ("R1", "R2"):
        add(code, "R", None)
    for code in ("R1D1", "R1D2", "R2D1"):
        add(code, "D", code[:2])
    for code, villages in VILLAGES.items():
        add(code, "W", code[:4])
        for i in range(villages):
            add(f"{code}V{i}", "V", code)
    answer = gql.data(
        "mutation ($uuid: UUID!, $parent: UUID!) { moveLocation(input: {uuid: $uuid, "
        "parent: $parent}) { location { parent { code } } errors { message } } }",
        {"uuid": str(rows["R1D1"].uuid), "parent": str(rows["R2"].uuid)},
    )
    assert answer["moveLocation"] == {"location": {"parent": {"code": "R2"}}, "errors": []}
    return rows


def both_paths(gql, query: str, variables: dict | None = None) -> dict:
    """The answer of ``query`` (errors included), the same with the compiler on and off."""
    with override_settings(GRAPHQL_COMPILE=False):
        general = gql.post(query, variables)
    with override_settings(GRAPHQL_COMPILE=True):
        assert gql.post(query, variables) == general
    return general


def read(gql, at: str | None, where: str, selection: str) -> dict:
    """``locations(validity: {at}, filter: {where})`` (no validity when ``at`` is None)."""
    validity = f'validity: {{at: "{at}"}}, ' if at else ""
    return both_paths(gql, f"{{ locations({validity}filter: {{{where}}}) {{ {selection} }} }}")


def total(gql, at: str | None, where: str) -> int:
    answer = read(gql, at, where, "totalCount")
    assert "errors" not in answer, answer
    return answer["data"]["locations"]["totalCount"]


def codes(gql, at: str, where: str) -> list[str]:
    answer = read(gql, at, where, "edges { node { code } }")
    assert "errors" not in answer, answer
    return [edge["node"]["code"] for edge in answer["data"]["locations"]["edges"]]


def test_ancestor_at_an_instant_counts_the_villages_of_the_tree_then(gql, moved):
    r1, r2 = moved["R1"].uuid, moved["R2"].uuid

    def villages(at: str | None, region) -> int:
        return total(gql, at, f'type: VILLAGE, ancestor: "{region}"')

    assert (villages(BEFORE_MOVE, r1), villages(BEFORE_MOVE, r2)) == (7, 4)
    assert (villages(AFTER_MOVE, r1), villages(AFTER_MOVE, r2)) == (2, 9)
    assert (villages(None, r1), villages(None, r2)) == (2, 9)
    assert villages("2019-01-01T00:00:00Z", r1) == 0  # nothing existed yet
    assert total(gql, BEFORE_MOVE, f'type: VILLAGE, ancestors: ["{r1}"]') == 7
    assert total(gql, BEFORE_MOVE, f'type: VILLAGE, ancestors: ["{r1}", "{r2}"]') == 11
    assert total(gql, AFTER_MOVE, f'type: VILLAGE, ancestors: ["{r2}"]') == 9
    assert total(gql, BEFORE_MOVE, "type: VILLAGE, ancestors: []") == 0


def test_ancestor_at_an_instant_lists_the_districts_and_subtrees_then(gql, moved):
    r1, district = moved["R1"].uuid, moved["R1D1"]
    assert codes(gql, BEFORE_MOVE, f'ancestor: "{r1}", type: DISTRICT') == ["R1D1", "R1D2"]
    assert codes(gql, AFTER_MOVE, f'ancestor: "{r1}", type: DISTRICT') == ["R1D2"]
    below = ["R1D1M1", *(f"R1D1M1V{i}" for i in range(3)), "R1D1M2", "R1D1M2V0", "R1D1M2V1"]
    assert codes(gql, BEFORE_MOVE, f'ancestor: "{district.uuid}"') == below
    # the uuid of the district's version before the move names the same location
    old = Location.objects.get(legacy=district)
    assert old.parent_id == moved["R1"].pk and old.validity_to is not None
    assert codes(gql, BEFORE_MOVE, f'ancestor: "{old.uuid}"') == below
    assert codes(gql, BEFORE_MOVE, f'parent: "{r1}"') == ["R1D1", "R1D2"]


def test_payers_below_a_location_at_an_instant_follow_the_tree_then(gql, moved):
    from modules.payer.models import Payer

    for code in ("R1D1M1V0", "R1D1M2", "R1D2M1V1", "R2D1M1V3"):
        Payer.objects.create(
            name=f"Payer of {code}", type="G", location=moved[code], validity_from=SINCE
        )

    def names(at: str, region: str) -> list[str]:
        query = (
            f'{{ payers(validity: {{at: "{at}"}}, filter: {{location: "{moved[region].uuid}"}}) '
            "{ totalCount edges { node { name } } } }"
        )
        answer = both_paths(gql, query)
        assert "errors" not in answer, answer
        found = [edge["node"]["name"] for edge in answer["data"]["payers"]["edges"]]
        assert answer["data"]["payers"]["totalCount"] == len(found)
        return found

    of = [f"Payer of {code}" for code in ("R1D1M1V0", "R1D1M2", "R1D2M1V1", "R2D1M1V3")]
    assert (names(BEFORE_MOVE, "R1"), names(BEFORE_MOVE, "R2")) == (of[:3], of[3:])
    assert (names(AFTER_MOVE, "R1"), names(AFTER_MOVE, "R2")) == (of[2:3], [of[0], of[1], of[3]])
    assert names(BEFORE_MOVE, "R1D1M2") == of[1:2]  # the location itself counts


def test_ancestor_at_an_instant_costs_the_queries_of_a_current_read(gql, moved, count_queries):
    where = f'{{ancestor: "{moved["R1"].uuid}", type: VILLAGE}}'
    _, now = count_queries(gql.data, f"{{ locations(filter: {where}) {{ totalCount }} }}")
    _, then = count_queries(
        gql.data,
        f'{{ locations(validity: {{at: "{BEFORE_MOVE}"}}, filter: {where}) {{ totalCount }} }}',
    )
    assert len(then) == len(now)


REFUSED = (
    "validity.at cannot be combined with {}: these follow today's rows, not the rows as "
    "they were at that instant."
)


@pytest.mark.parametrize(
    ("selection", "fields"),
    [
        ("children { code }", "Location.children"),
        ("childrenCount", "Location.childrenCount"),
        ("childrenConnection { totalCount }", "Location.childrenConnection"),
        ("parent { code }", "Location.parent"),
        ("...F", "Location.childrenCount, Location.parent"),
        ("history { code ... on Location { children { code } } }", "Location.children"),
        ("payers { name }", "Location.payers"),
        ("payersCount", "Location.payersCount"),
    ],
)
def test_relations_of_today_are_refused_at_an_instant(gql, moved, selection, fields):
    validity = f'{{at: "{BEFORE_MOVE}"}}'
    assert refusals(gql, validity, selection) == [REFUSED.format(fields)]


def refusals(gql, validity: str, selection: str) -> list[str]:
    """The error messages (each BAD_USER_INPUT, no data) of reading R1D1's versions by
    ``validity`` with ``selection`` (``...F``: a fragment selecting two relations)."""
    query = (
        f'{{ locations(validity: {validity}, filter: {{code: "R1D1"}}) '
        f"{{ edges {{ node {{ code {selection} }} }} }} }}"
    )
    if "...F" in selection:
        query += " fragment F on Location { childrenCount parent { code } }"
    answer = both_paths(gql, query)
    assert answer["data"] is None
    assert {error["extensions"]["code"] for error in answer["errors"]} == {"BAD_USER_INPUT"}
    return [error["message"] for error in answer["errors"]]


HISTORY_REFUSED = (
    "validity.includeHistory cannot be combined with {}: these follow today's rows, not "
    "the rows as they were in each version."
)


@pytest.mark.parametrize(
    ("selection", "fields"),
    [
        ("parent { code }", "Location.parent"),
        ("children { code }", "Location.children"),
        ("...F", "Location.childrenCount, Location.parent"),
        ("history { code ... on Location { payersCount } }", "Location.payersCount"),
    ],
)
def test_relations_of_today_are_refused_with_every_version(gql, moved, selection, fields):
    """R1D1's version before the move (a history row) would answer R2, today's parent,
    and no children: the same refusal as at an instant, naming the argument."""
    every_version = "{includeHistory: true}"
    assert refusals(gql, every_version, selection) == [HISTORY_REFUSED.format(fields)]


def test_every_version_is_answered_with_columns_and_history(gql, moved):
    answer = both_paths(
        gql,
        '{ locations(validity: {includeHistory: true}, filter: {code: "R1D1"}) '
        "{ totalCount edges { node { code validityTo historyCount } } } "
        "payers(validity: {includeHistory: true}) { totalCount } }",
    )
    assert "errors" not in answer, answer
    nodes = [edge["node"] for edge in answer["data"]["locations"]["edges"]]
    assert sorted((n["validityTo"] is None, n["historyCount"]) for n in nodes) == [
        (False, 0),  # the version under R1, before the move
        (True, 1),  # today's row
    ]


def test_relations_of_payers_and_locations_to_today_are_refused_at_an_instant(gql, moved):
    payers = (
        f'payers(validity: {{at: "{BEFORE_MOVE}"}}) '
        "{ edges { node { name location { code } } } }"
    )
    connection = (
        f'locations(validity: {{at: "{BEFORE_MOVE}"}}) '
        "{ edges { node { payersConnection { totalCount } } } }"
    )
    for query, fields in ((payers, "Payer.location"), (connection, "Location.payersConnection")):
        answer = both_paths(gql, f"{{ {query} }}")
        assert [error["message"] for error in answer["errors"]] == [REFUSED.format(fields)]


def test_history_and_columns_are_answered_at_an_instant(gql, moved):
    answer = read(
        gql, BEFORE_MOVE, 'code: "R1D1"',
        "edges { node { code validityTo historyCount history { code } } }",
    )  # fmt: skip
    assert "errors" not in answer, answer
    [edge] = answer["data"]["locations"]["edges"]
    assert edge["node"]["code"] == "R1D1" and edge["node"]["validityTo"] is not None
    assert (edge["node"]["historyCount"], edge["node"]["history"]) == (0, [])  # a history row


@postgresql_only
def test_the_compiler_answers_reads_at_an_instant_below_an_ancestor(moved, make_user):
    from tests.test_compiler_equivalence import executor

    run = executor(make_user("compiled", superuser=True))
    where = f'{{ancestor: "{moved["R1"].uuid}", type: VILLAGE}}'
    query = f'{{ locations(validity: {{at: "{BEFORE_MOVE}"}}, filter: {where}) {{ totalCount }} }}'
    assert run(query, {}) == ({"data": {"locations": {"totalCount": 7}}}, True)
