"""``python manage.py generate_payers [--count 500] [--seed 42]``: reproducible demo payers.

Creates ``--count`` payers of all six types over the current regions and districts (see
:mod:`modules.payer.demo.payers`), skipping those already present, and prints how many were
created and skipped. The same seed gives the same payers; a rerun creates nothing.
Fails with a CommandError when there is no current region or district, and for a count
outside 0 to :data:`MAX_COUNT`.
"""

import time

from django.core.management.base import CommandError

from backend.management.long_command import LongCommand
from modules.payer.demo import payers as demo

#: The most payers one run generates: demo data, built in memory before it is written.
MAX_COUNT = 1_000_000


class Command(LongCommand):
    help = (
        "Create reproducible demo payers (all six types) spread over the current regions "
        "and districts. Needs locations: python manage.py load_cambodia."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--count",
            type=int,
            default=500,
            help=f"Number of payers, 0 to {MAX_COUNT:,} (default 500).",
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="Random seed; same seed, same payers (default 42)."
        )

    def handle(self, *args, count=500, seed=42, **options):
        if not 0 <= count <= MAX_COUNT:
            raise CommandError(f"--count must be from 0 to {MAX_COUNT:,} (got {count:,}).")
        started = time.perf_counter()
        try:
            result = demo.create(count=count, seed=seed)
        except ValueError as exc:
            raise CommandError(
                f"Cannot generate payers: {exc}. Load locations first: "
                "python manage.py load_cambodia"
            ) from exc
        elapsed = time.perf_counter() - started
        types = sorted({p.type for p in result.payers})
        locations = len({p.location.pk for p in result.payers})
        self.stdout.write(
            f"Payers (seed {seed}): {result.generated} generated over {locations} locations, "
            f"types {', '.join(types) or '-'}; {result.created} created, "
            f"{result.present} already present."
        )
        if result.generated and not result.created:
            self.stdout.write("Nothing to add: every payer of this seed and count is present.")
        self.stdout.write(f"Elapsed: {elapsed:.2f} s.")
