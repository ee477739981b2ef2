"""Trigram indexes serve the case-insensitive "contains" searches on PostgreSQL
(``backend.search_indexes``; the payer and location migrations), and SQLite skips them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modules.location.models import Location
from modules.payer.models import Payer

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_trgm indexes exist on PostgreSQL only"
)
INDEXES = {
    "payer_payer": {"payer_payer_name_trgm", "payer_payer_email_trgm", "payer_payer_phone_trgm"},
    "location_location": {"location_location_name_trgm", "location_location_code_trgm"},
}

SEARCH = "{ payers(filter: FILTER, first: 10) { totalCount edges { node { name } } } }"


def trigram_indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        names = connection.introspection.get_constraints(cursor, table)
    return {name for name in names if name.endswith("_trgm")}


@pytest.mark.parametrize("table", sorted(INDEXES))
def test_the_migrations_add_the_indexes_on_postgresql_only(table):
    expected = INDEXES[table] if connection.vendor == "postgresql" else set()
    assert trigram_indexes(table) == expected


def analyze(table: str) -> None:
    """Statistics of ``table``, its trigram indexes' pending lists merged: what autovacuum
    does to a table in use (rows inserted in the test's transaction stay in the GIN
    pending list, which the planner counts against the index)."""
    with connection.cursor() as cursor:
        for index in INDEXES[table]:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute(f"ANALYZE {table}")


def plans(statements: list[str]) -> list[str]:
    """PostgreSQL's plan of each statement (as Django ran it, values inlined)."""
    found = []
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute("EXPLAIN " + sql)
            found.append("\n".join(row[0] for row in cursor.fetchall()))
    return found


@pytest.fixture
def many_payers():
    """20,000 current payers (4 times the benchmark's), 3 of them matching 'quokka'."""
    region = Location.objects.create(code="R1", name="Ultha", type="R")
    Payer.objects.bulk_create(
        Payer(
            name=f"Quokka Fund {i}" if i % 7000 == 0 else f"Farmers Cooperative {i:05d}",
            type="C",
            location=region,
            phone=f"+855 23 {i:06d}",
            email=f"office{i}@farmers.example",
        )
        for i in range(20_000)
    )
    analyze("payer_payer")


@postgresql_only
@pytest.mark.parametrize(
    ("filter_", "indexes"),
    [
        ('{nameContains: "quokka"}', {"payer_payer_name_trgm"}),
        ('{emailContains: "office7000@"}', {"payer_payer_email_trgm"}),
        ('{search: "quokka"}', set(INDEXES["payer_payer"])),
    ],
)
def test_a_selective_search_reads_the_index_for_the_page_and_the_count(
    gql, many_payers, filter_, indexes
):
    query = SEARCH.replace("FILTER", filter_)
    with CaptureQueriesContext(connection) as captured:
        answer = gql.data(query)["payers"]
    assert answer["totalCount"] == len(answer["edges"]) >= 1
    searches = [q["sql"] for q in captured if "UPPER(" in q["sql"] and "payer_payer" in q["sql"]]
    assert len(searches) == 1, searches  # the page with its count as a subquery
    (plan,) = plans(searches)
    assert "Seq Scan on payer_payer" not in plan, plan
    assert {name for name in INDEXES["payer_payer"] if name in plan} == indexes, plan
    for name in indexes:  # the count and the page each read the index
        assert plan.count(f"Bitmap Index Scan on {name}") == 2, plan


@postgresql_only
def test_a_location_name_search_reads_the_index(gql):
    Location.objects.bulk_create(
        Location(code=f"{i:05d}", name=f"Village {i:05d}", type="R", path=f"{i:032x}")
        for i in range(20_000)
    )
    analyze("location_location")
    with CaptureQueriesContext(connection) as captured:
        answer = gql.data('{ locations(filter: {nameContains: "ge 01234"}) { totalCount } }')
    assert answer["locations"]["totalCount"] == 1
    searches = [q["sql"] for q in captured if "UPPER(" in q["sql"]]
    assert searches
    for plan in plans(searches):
        assert "location_location_name_trgm" in plan and "Seq Scan" not in plan, plan
