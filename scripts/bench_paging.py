"""Benchmark of keyset paging and nested connections (issue 11, items 5 and 8).

On Cambodia's hierarchy (``load_cambodia``) and the generated payers in a database of
its own, through the GraphQL endpoint (Django's test client, a superuser):

- a walk over every current location in pages of 1,000 (``after`` = the previous
  ``endCursor``): time and SQL queries of the first and the last page; for comparison,
  the page query with ``OFFSET`` that offset cursors needed for the same last page;
- 100 districts, each with ``childrenConnection(first: n)`` and each of those with its
  own ``childrenConnection(first: n)``: time and SQL queries for several ``n``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_paging \\
        .venv/bin/python scripts/bench_paging.py [--repeat 5] [--reuse]

Prints median wall times in ms and query counts.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.lib.cambodia_bench import cambodia_database  # noqa: E402

WALK = """query ($after: String) { locations(first: 1000, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { uuid code name type } } } }"""
NESTED = """query ($first: Int!) { locations(filter: {type: DISTRICT}, first: 100) {
  edges { node { code childrenConnection(first: $first) { totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { code childrenConnection(first: $first) { totalCount
      edges { cursor node { code name } } } } } } } } } }"""


def main() -> None:
    args = cambodia_database(__doc__, repeat=5)
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from backend.graphql.connection import count_subquery
    from modules.location.models import Location

    if connection.vendor == "postgresql":  # the planner's statistics of the loaded rows
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user, _ = User.objects.get_or_create(username="bench", is_superuser=True)
    client = Client()
    client.force_login(user)

    def post(query: str, variables: dict) -> tuple[float, int, float, dict]:
        """Wall time (ms), SQL queries, the slowest query's time (ms), data."""
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.post(
                "/graphql",
                {"query": query, "variables": variables},
                content_type="application/json",
            )
            elapsed = (time.perf_counter() - start) * 1000
        body = response.json()
        assert "errors" not in body, body["errors"]
        slowest = max(float(q["time"]) for q in queries.captured_queries) * 1000
        return elapsed, len(queries), slowest, body["data"]

    def median(measure) -> tuple[float, int, float]:
        runs = [measure() for _ in range(args.repeat)]
        return (
            statistics.median(r[0] for r in runs),
            runs[0][1],
            statistics.median(r[2] for r in runs),
        )

    print(f"database: {connection.vendor}, {Location.objects.current().count()} locations")
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        cursors, after = [None], None
        while True:
            *_, data = post(WALK, {"after": after})
            info = data["locations"]["pageInfo"]
            if not info["hasNextPage"]:
                break
            after = info["endCursor"]
            cursors.append(after)
        for name, cursor in (("first page", cursors[0]), ("last page", cursors[-1])):
            ms, queries, sql = median(lambda c=cursor: post(WALK, {"after": c}))
            print(
                f"walk ({len(cursors)} pages of 1,000), {name}: {ms:.1f} ms, {queries} "
                f"queries, page query {sql:.1f} ms"
            )
        offset = (len(cursors) - 1) * 1000
        rows = Location.objects.current().order_by("code", "pk")
        page = rows.annotate(_total=count_subquery(rows))[offset : offset + 1001]

        def offset_page() -> tuple[float, int, float]:
            with CaptureQueriesContext(connection) as queries:
                list(page.all())
            return 0.0, 1, float(queries.captured_queries[0]["time"]) * 1000

        *_, sql = median(offset_page)
        print(f"the same last page with OFFSET {offset} (offset cursors): page query {sql:.1f} ms")
        for first in (1, 5, 20):
            ms, queries, sql = median(lambda f=first: post(NESTED, {"first": f}))
            print(
                f"100 districts x childrenConnection(first: {first}) x its own: {ms:.1f} ms, "
                f"{queries} queries, slowest {sql:.1f} ms"
            )


if __name__ == "__main__":
    main()
