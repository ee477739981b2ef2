"""Benchmark of the node estimate (issue 11, item 9): what each pass costs.

On Cambodia's hierarchy (``load_cambodia``) and the generated payers
(``generate_payers --seed 42``) in a database of its own, times the estimate of a few
queries: pass 1 (no SQL) and pass 2 (from the rows: one count per root connection, one
``GROUP BY`` per distinct list field), and prints the estimates and the SQL queries of
pass 2.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_estimate \\
        .venv/bin/python scripts/bench_estimate.py [--repeat 20] [--reuse]

Without ``DATABASE_URL`` it uses a temporary SQLite file. Prints one line per query:
both estimates, the median of each pass in ms (pass 2 reading the fan-outs, and with
them kept by the process), the SQL queries of pass 2.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.lib.cambodia_bench import cambodia_database  # noqa: E402

QUERIES = {
    "region subtree": """{ locations(filter: {code: "05", type: REGION}) { edges { node {
        code name children { code name children { code name children { code name } } } } } } }""",
    "villages, ancestor payers": """{ locations(filter: {type: VILLAGE}, first: 1000) {
        edges { node { code parent { payers { name location { code } } parent { payers { name
        location { code } } parent { payers { name location { code } } } } } } } } }""",
    "exploding": "{ locations(first: 1000) { edges { node { children { parent { children "
    "{ parent { children { code } } } } } } } } }",
}


def median_ms(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    args = cambodia_database(__doc__, repeat=20)
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from graphql import parse

    from backend.graphql.cost import estimate_nodes
    from backend.graphql.row_estimate import RowCounts, forget_fan_outs
    from backend.graphql.schema import get_schema
    from modules.location.models import Location

    user, _ = User.objects.get_or_create(username="bench", is_superuser=True)
    context = SimpleNamespace(request=SimpleNamespace(user=user))
    schema = get_schema()
    print(f"{connection.vendor}: {Location.objects.current().count()} current locations")
    for label, query in QUERIES.items():
        document = parse(query)

        def pass_1(document=document):
            return estimate_nodes(schema._schema, document, None, {})

        def pass_2(document=document, cold=False):
            if cold:
                forget_fan_outs()
            rows = RowCounts(schema, context, {})
            return estimate_nodes(schema._schema, document, None, {}, rows=rows)

        forget_fan_outs()
        with CaptureQueriesContext(connection) as captured:
            second = pass_2()
        cold = median_ms(lambda p=pass_2: p(cold=True), args.repeat)
        print(
            f"{label:26} pass 1 {pass_1():>11,} in {median_ms(pass_1, args.repeat):5.2f} ms  "
            f"pass 2 {second:>11,} in {cold:5.1f} ms ({len(captured.captured_queries)} SQL "
            f"queries), {median_ms(pass_2, args.repeat):5.1f} ms with the fan-outs kept"
        )


if __name__ == "__main__":
    main()
