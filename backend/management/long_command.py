"""The base of the operator's long commands (imports, exports, demo loaders):
:class:`LongCommand`.

A web request's statement is cut after ``DATABASE_STATEMENT_TIMEOUT`` (PostgreSQL's
``statement_timeout``, set on every connection in ``backend/settings/base.py``), so that
a worker is never held longer than it lives. An operator's command is not a request: a
``COPY`` of 200,000 legacy rows runs longer than that and must not be cut. A
:class:`LongCommand` runs its ``handle`` on a connection whose ``statement_timeout`` is 0
(off) and gives the connection its former value back afterwards
(:func:`without_statement_timeout`); ``lock_timeout`` stays.

It also ends in one line, without a traceback, when it stops early (openIMIS' imports run
in one transaction, so the rollback leaves nothing behind):

- Ctrl-C (``KeyboardInterrupt``): ``CommandError: Interrupted; <stopped>.``, exit code
  130 (128 + SIGINT, as a shell reports it);
- a database error (Django's ``DatabaseError`` or the driver's own, e.g. psycopg's
  ``QueryCanceled`` raised inside ``COPY``): ``CommandError: The database stopped the
  command: <its first line>; <stopped>.``, exit code 1.

``stopped`` (a class or instance attribute) says what that leaves: "nothing was written"
for a command that writes in one transaction, something else for a command that writes
files as it goes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.signals import connection_created
from tqdm import tqdm

from backend.management.progress import plain_progress

T = TypeVar("T")

#: Exit code of a command stopped by Ctrl-C (128 + SIGINT).
INTERRUPTED = 130


def _set_statement_timeout(connection: Any, value: str) -> None:
    """Set PostgreSQL's ``statement_timeout`` of the session of ``connection`` (a Django
    connection) to ``value`` (``"0"`` is off, ``"15s"`` as ``SHOW`` writes it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [value])


@contextlib.contextmanager
def without_statement_timeout(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the block with PostgreSQL's ``statement_timeout`` off (0) on the connection
    ``using``, also on a connection opened again inside the block (Django's
    ``connection_created``); afterwards the connection gets its former value back. On
    other databases (SQLite has no statement timeout) nothing changes."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return

    def lift(sender: Any, connection: Any, **kwargs: Any) -> None:
        if connection.alias == using:
            _set_statement_timeout(connection, "0")

    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (before,) = cursor.fetchone()
    _set_statement_timeout(connection, "0")
    connection_created.connect(lift, weak=False)
    try:
        yield
    finally:
        connection_created.disconnect(lift)
        with contextlib.suppress(DatabaseError, connection.Database.Error):
            _set_statement_timeout(connection, before)


class LongCommand(BaseCommand):
    """A management command an operator runs for minutes: no statement timeout, and one
    line instead of a traceback on Ctrl-C or a database error (see the module
    docstring). Subclasses write ``handle`` as for ``BaseCommand``."""

    #: What an early stop leaves, for the message ("Interrupted; nothing was written.").
    stopped = "nothing was written"
    #: ``--verbosity`` of the run (set by :meth:`execute`); 0 silences the progress lines.
    verbosity = 1
    #: When the run began (``time.monotonic()``, set by :meth:`execute`), for :meth:`step`.
    started = 0.0

    def execute(self, *args: Any, **options: Any) -> Any:
        """``BaseCommand.execute`` without the statement timeout; Ctrl-C becomes a
        ``CommandError`` with return code 130, a database error a one-line
        ``CommandError``."""
        self.verbosity = options.get("verbosity", 1)
        self.started = time.monotonic()
        driver_error = connections[DEFAULT_DB_ALIAS].Database.Error
        try:
            with without_statement_timeout():
                return super().execute(*args, **options)
        except KeyboardInterrupt:
            raise CommandError(f"Interrupted; {self.stopped}.", returncode=INTERRUPTED) from None
        except (DatabaseError, driver_error) as error:
            cause = (
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            )
            raise CommandError(
                f"The database stopped the command: {cause}; {self.stopped}."
            ) from None

    def progress(
        self,
        items: Iterable[T],
        *,
        total: int,
        name: str,
        size: Callable[[T], int] = lambda item: 1,
    ) -> Iterable[T]:
        """``items`` with their progress shown: a tqdm bar (rows, rows/s) when stdout is
        a terminal; otherwise, unless ``--verbosity 0``, a plain line on stdout every few
        seconds (:func:`backend.management.progress.plain_progress`), for logs, CI and
        ``docker logs``. ``total``: the rows expected; ``size(item)``: the rows of an
        item (a batch's length)."""
        if self.stdout.isatty():
            return _bar(items, total=total, name=name, size=size)
        if self.verbosity < 1:
            return items
        return plain_progress(items, total=total, name=name, size=size, write=self.stdout.write)

    def step(self, message: str) -> None:
        """Say that a step without rows to count begins, as a progress line with the
        seconds since the start (``tblLocations: writing 40,211 rows (at 8.9 s)``), where
        :meth:`progress` writes plain lines: stdout not a terminal, ``--verbosity`` 1 or
        more. On a terminal the bars and the final summary say enough."""
        if not self.stdout.isatty() and self.verbosity >= 1:
            self.stdout.write(f"{message} (at {time.monotonic() - self.started:.1f} s)")


def _bar(items: Iterable[T], *, total: int, name: str, size: Callable[[T], int]) -> Iterator[T]:
    with tqdm(total=total, desc=name, unit="row", leave=False) as bar:
        for item in items:
            yield item
            bar.update(size(item))
