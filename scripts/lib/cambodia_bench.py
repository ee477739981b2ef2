"""What the benchmarks on Cambodia's hierarchy share: their command line and database.

``cambodia_database(doc, repeat)`` parses ``--repeat N`` and ``--reuse``, sets up Django
on ``DATABASE_URL`` (a temporary SQLite file without it), migrates it and loads
Cambodia's hierarchy (``load_cambodia``) and the generated payers (``generate_payers
--seed 42``) unless ``--reuse`` finds locations there. Returns the parsed arguments.
"""

from __future__ import annotations

import argparse
import os
import tempfile


def cambodia_database(doc: str, repeat: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=repeat, help=f"runs (default {repeat})")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from modules.location.models import Location

    call_command("migrate", verbosity=0)
    if not (args.reuse and Location.objects.exists()):
        with open(os.devnull, "w") as quiet:
            call_command("load_cambodia", verbosity=0, stdout=quiet)
            call_command("generate_payers", "--seed", "42", stdout=quiet)
    return args
