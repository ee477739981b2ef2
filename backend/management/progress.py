"""Progress of an operator's long command: a tqdm bar on a terminal, plain lines elsewhere.

A bar redraws one line with carriage returns; written to a file, a CI log, ``docker
logs`` or ``nohup.out`` it is one unreadable line, or nothing until the end. Where the
command's output is not a terminal, :func:`plain_progress` writes a line every
:data:`PLAIN_PROGRESS_SECONDS` instead: ``tblLocations: 52,000/221,050 rows (24 %),
4,310 rows/s``. :meth:`backend.management.long_command.LongCommand.progress` chooses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

#: Seconds between two plain progress lines (output that is not a terminal).
PLAIN_PROGRESS_SECONDS = 10.0


def plain_progress(
    items: Iterable[T],
    *,
    total: int,
    name: str,
    write: Callable[[str], object],
    size: Callable[[T], int] = lambda item: 1,
    every: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[T]:
    """Yield ``items`` unchanged, calling ``write`` with a progress line whenever
    ``every`` seconds (default :data:`PLAIN_PROGRESS_SECONDS`) have passed since the
    start or the last line: ``"<name>: <done>/<total> rows (<percent> %), <rate> rows/s"``.

    ``total``: the rows expected (for the percentage); ``size(item)``: the rows an item
    holds (1 by default; the length of a batch). When at least one line was written, a
    last one says how many rows took how long. Nothing is written for a run shorter than
    ``every``. ``clock``: seconds, monotonic (tests give their own).
    """
    every = PLAIN_PROGRESS_SECONDS if every is None else every
    started = last = clock()
    done, written = 0, False
    for item in items:
        yield item
        done += size(item)
        now = clock()
        if now - last >= every:
            percent = f" ({done / total:.0%})".replace("%", " %") if total else ""
            write(f"{name}: {done:,}/{total:,} rows{percent}, {_rate(done, now - started)}")
            last, written = now, True
    if written:
        seconds = clock() - started
        write(f"{name}: {done:,} rows in {seconds:.1f} s, {_rate(done, seconds)}")


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s" if seconds > 0 else "- rows/s"
