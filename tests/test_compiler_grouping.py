"""A compiled read builds a many-to-one relation's object once per distinct key
(backend.graphql.compiler.grouped), on PostgreSQL.

A page of villages reading ``parent { parent { payers } }`` built, per village, its
municipality, that one's district and the district's payer list: the list of a district
was built once per village below it. Grouped by key, each district's list is built once
per statement, and only for the districts of the page's rows, whatever gives the
page's order (an index, or a sort of every matching row). The plan's loops over the
payer table are counted with ``EXPLAIN (ANALYZE, FORMAT JSON)`` of the statement that
answered; the answers equal the general executor's.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection

from tests.test_compiler import both_paths, compiled, postgresql_only
from tests.test_query_counts import AUTH_QUERIES

VILLAGES = """
query ($first: Int!, $order: [LocationOrder!]) {
  locations(first: $first, filter: {type: VILLAGE}, orderBy: $order) {
    totalCount
    edges { node { code parent { code parent { code payers { name } parent { code } } } } }
  }
}
"""


def payer_scans(statement: str) -> int:
    """How many times the plan of ``statement`` read the payer table (the sum of the
    loops of every node on it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}")
        (plan,) = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def loops(node: dict) -> int:
        own = node["Actual Loops"] if node.get("Relation Name") == "payer_payer" else 0
        return own + sum(loops(child) for child in node.get("Plans", ()))

    return loops(plan["Plan"])


def read(viewer, variables: dict) -> tuple[dict, str]:
    """The compiled answer (equal to the general path's) and its one statement."""
    answer, captured, general = both_paths(viewer, VILLAGES, variables)
    assert "errors" not in answer
    assert answer == general
    assert len(captured) == AUTH_QUERIES + 1, "\n".join(q["sql"] for q in captured)
    assert compiled(captured)
    return answer, captured[-1]["sql"]


@postgresql_only
@pytest.mark.django_db
def test_a_district_payer_list_is_built_once_for_the_villages_below_it(viewer, make_tree):
    # given a region of 3 districts, 9 municipalities and 27 villages, one payer each
    make_tree(3)
    # when the 27 villages are read with their district's payers, by code (an index)
    answer, statement = read(viewer, {"first": 27, "order": None})
    # then every village has its district's one payer
    nodes = [edge["node"] for edge in answer["data"]["locations"]["edges"]]
    assert len(nodes) == 27
    assert nodes[0]["parent"]["parent"] == {
        "code": "T0",
        "payers": [{"name": "Payer of T0"}],
        "parent": {"code": "T"},
    }
    assert {n["parent"]["parent"]["code"] for n in nodes} == {"T0", "T1", "T2"}
    # and the payers were read once per district (3), not once per village (27)
    assert payer_scans(statement) == 3


@postgresql_only
@pytest.mark.django_db
def test_only_the_page_rows_relations_are_built_when_a_sort_gives_the_order(viewer, make_tree):
    # given the same 27 villages, whose names sort with no index (LOWER(name))
    make_tree(3)
    # when the last 4 by name are read (a sort of every village, then the page)
    order = [{"field": "NAME", "direction": "DESC"}]
    answer, statement = read(viewer, {"first": 4, "order": order})
    # then the page holds villages of the district T2 alone
    nodes = [edge["node"] for edge in answer["data"]["locations"]["edges"]]
    assert [n["code"] for n in nodes] == ["T222", "T221", "T220", "T212"]
    assert {n["parent"]["parent"]["code"] for n in nodes} == {"T2"}
    # and the payers were read for that district once: not for the 27 villages sorted
    assert payer_scans(statement) == 1
