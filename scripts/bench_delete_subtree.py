"""Benchmark of deleting a location with everything below it (issue 11, item 1).

On Cambodia's hierarchy (``load_cambodia``) and the generated payers
(``generate_payers --seed 42``) in a database of its own, for the region with the most
locations below it: times ``services.delete_location(descendants=True)`` (one call, one
transaction) with each ``references`` choice, against the client's way before it (one
``delete_location`` call per location, bottom-up, payers deleted first), and counts the
SQL queries of each. Every run is rolled back, so each starts from the same data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_delete_subtree \\
        .venv/bin/python scripts/bench_delete_subtree.py [--repeat 5] [--reuse]

Without ``DATABASE_URL`` it uses a temporary SQLite file. Prints one line per variant:
median and best wall time in ms, SQL queries, rows deleted.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.lib.cambodia_bench import cambodia_database  # noqa: E402


class Rollback(Exception):
    pass


def main() -> None:
    args = cambodia_database(__doc__, repeat=5)
    from django.apps import apps
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from backend.versioning import References
    from modules.location import services
    from modules.location.models import Location

    user, _ = User.objects.get_or_create(username="bench", is_superuser=True)
    regions = Location.objects.current().filter(type="R")
    region = max(regions, key=lambda r: Location.objects.current().below(r.uuid).count())
    size = Location.objects.current().below(region.uuid).count() + 1
    Payer = apps.get_model("payer", "Payer")
    payers = Payer.objects.current().filter(location__path__startswith=region.path).count()
    print(
        f"{connection.vendor}: region {region.code} {region.name}: {size} locations, "
        f"{payers} current payers"
    )

    def one_call(references):
        services.delete_location(region.uuid, descendants=True, references=references, user=user)

    def bottom_up(_references):
        # the client's way before: payers first, then every location, deepest first
        from modules.payer import services as payer_services

        for key in (
            Payer.objects.current()
            .filter(location__path__startswith=region.path)
            .values_list("uuid", flat=True)
        ):
            payer_services.delete_payer(key, user=user)
        rows = Location.objects.current().filter(path__startswith=region.path)
        for key in rows.order_by(Location.level_rank().desc(), "pk").values_list("uuid", flat=True):
            services.delete_location(key, user=user)

    variants = [
        ("one call, CASCADE", one_call, References.CASCADE),
        ("one call, REASSIGN", one_call, References.REASSIGN),
        ("bottom-up calls", bottom_up, None),
    ]
    other = regions.exclude(pk=region.pk).first()
    for label, action, references in variants:
        times, deleted = [], 0
        for _ in range(args.repeat):
            executed = []

            def count(execute, sql, params, many, context, executed=executed):
                executed.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                start = time.perf_counter()
                try:
                    with transaction.atomic():
                        if references is References.REASSIGN:
                            services.delete_location(
                                region.uuid,
                                descendants=True,
                                references=references,
                                reassign_to=other.uuid,
                                user=user,
                            )
                        else:
                            action(references)
                        deleted = Location.objects.filter(
                            path__startswith=region.path, validity_to__isnull=False,
                            audit_user_id=user.pk,
                        ).count()  # fmt: skip
                        raise Rollback
                except Rollback:
                    pass
                times.append((time.perf_counter() - start) * 1000)
            queries = len(executed) - 1  # without the count of deleted rows above
        print(
            f"{label:20} median {statistics.median(times):8.1f} ms  best {min(times):8.1f} ms  "
            f"{queries:6} SQL queries  {deleted} locations deleted"
        )


if __name__ == "__main__":
    main()
