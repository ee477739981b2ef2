"""What the benchmarks on Cambodia's hierarchy share: their arguments, Django, the data.

:func:`setup` reads ``--repeat`` and ``--reuse``, sets Django up on ``DATABASE_URL`` (a
temporary SQLite file without it), migrates, loads ``load_cambodia`` and ``generate_payers
--seed 42`` (unless ``--reuse`` finds locations), refreshes PostgreSQL's planner
statistics, and returns the arguments and a superuser ``bench``. Run on its own, it
prepares such a database ahead of the benchmarks:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_paging \\
        .venv/bin/python scripts/cambodia_bench.py
"""

from __future__ import annotations

import argparse
import os
import tempfile
from typing import Any


def setup(description: str) -> tuple[argparse.Namespace, Any]:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeat", type=int, default=5, help="runs per variant (default 5)")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from modules.location.models import Location

    call_command("migrate", verbosity=0)
    if not (args.reuse and Location.objects.exists()):
        call_command("load_cambodia", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        call_command("generate_payers", "--seed", "42", stdout=open(os.devnull, "w"))  # noqa: SIM115
    if connection.vendor == "postgresql":  # the planner's statistics of the new rows
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user, _ = User.objects.get_or_create(username="bench", is_superuser=True)
    return args, user


if __name__ == "__main__":  # prepares a benchmark database ahead of the benchmarks
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    setup(__doc__.splitlines()[0])
    from modules.location.models import Location

    print(f"{Location.objects.current().count()} current locations loaded.")
