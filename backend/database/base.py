"""The PostgreSQL engine: django-prometheus' (queries counted) whose pooled connections
are checked without a round trip while nothing happened on them (issue 15), whose
pool's timeout names why it could not connect (:func:`recording`), and which fails fast
while the database is unreachable (:class:`Outage`).

psycopg's pool calls its ``check`` each time it hands a connection out, that is once per
request (Django returns the connection to the pool when the request ends). The check
Django gives it (``CONN_HEALTH_CHECKS``), :meth:`psycopg_pool.ConnectionPool.check_connection`,
sends an empty query: a round trip to the database per request, before any of the
request's own SQL.

:func:`check_connection` asks the operating system first. A connection idle in the pool
has nothing to read: PostgreSQL sends nothing to an idle client unless it is closing
the connection (``pg_terminate_backend``, a shutdown or restart: a ``FATAL`` message,
then the end of the stream) or notifying it (a parameter change). So when the socket
has nothing to read the connection is handed out as it is; otherwise, or when the
connection is already known to be closed, psycopg's own round trip decides, and the
pool replaces a connection that fails it, as before.

:meth:`DatabaseWrapper.prepared_cursor` is the cursor of the SQL compiler's statements
(:mod:`backend.graphql.compiler`): it binds parameters on the server, so psycopg
prepares a statement the connection has run ``prepare_threshold`` (5) times; PostgreSQL
then neither parses nor plans it again (issue 15).
"""

from __future__ import annotations

import select
import threading
import time
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.postgresql.operations import DatabaseOperations
from django_prometheus.db.backends.postgresql import base
from django_prometheus.db.common import ExportingCursorWrapper
from psycopg import ClientCursor
from psycopg import Error as PsycopgError
from psycopg import OperationalError as PsycopgOperationalError
from psycopg_pool import ConnectionPool, PoolTimeout


def check_connection(conn: Any) -> None:
    """psycopg_pool's ``check`` callback: return when the psycopg connection ``conn``
    can be used, raise (psycopg's error) when it cannot; a round trip only when the
    socket has something to read (see the module docstring)."""
    if not conn.closed:
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
        if not poller.poll(0):  # nothing arrived since it was last used
            return
    ConnectionPool.check_connection(conn)


def one_line(error: BaseException) -> str:
    """``error``'s message on one line (psycopg's span several)."""
    return " ".join(str(error).split())


def gave_up(started: float, cause: BaseException) -> PoolTimeout:
    """The :class:`PoolTimeout` of a wait for a connection begun at ``started``
    (``time.monotonic()``) that ended on ``cause``, in psycopg_pool's words: "couldn't
    get a connection after 0.01 sec: <cause on one line>"."""
    return PoolTimeout(
        f"couldn't get a connection after {time.monotonic() - started:.2f} sec: {one_line(cause)}"
    )


class Unreachable(PsycopgOperationalError):
    """No connection attempted: the database was found unreachable moments ago
    (:class:`Outage`). A psycopg ``OperationalError``, so a retryable 503."""


class Outage:
    """What a process knows of its database being unreachable, shared by its threads.

    While PostgreSQL is down psycopg_pool fails nothing early: every request would wait
    for its pool's ``timeout`` (``DATABASE_POOL_TIMEOUT``), then answer 503, and every
    worker thread would be held that long. So:

    - a failed connection attempt (the pool's own, in the background, or a probe) makes
      the requests waiting for a connection give up at once (:meth:`failed`), each with
      the cause, and opens a window of ``DATABASE_DOWN_RETRY_SECONDS``;
    - in that window a request gets :class:`Unreachable` at once (:meth:`admit`), with
      the cause and its age;
    - after it, one request at a time attempts a connection of its own (a probe); the
      others still fail at once. A failed probe opens a new window; a successful one (or
      any successful connection of the pool) ends the outage.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._probe = threading.Lock()
        self.cause: str | None = None  # one line; None while no outage is known
        self.failed_at = 0.0  # time.monotonic() of the last failed attempt
        self.pool: ConnectionPool | None = None  # whose waiting clients fail

    def failed(self, error: PsycopgError) -> None:
        """Record the failed connection attempt ``error`` and fail the clients waiting in
        :attr:`pool` for a connection (psycopg_pool's ``WaitingClient.fail``, as its
        ``close`` does; psycopg_pool is pinned by the lock)."""
        with self._lock:
            self.cause = one_line(error)
            self.failed_at = time.monotonic()
        pool = self.pool
        if pool is None:
            return
        with pool._lock:
            waiting = list(pool._waiting)
            pool._waiting.clear()
        for client in waiting:
            client.fail(PoolTimeout(self.cause))

    def connected(self) -> None:
        """A connection attempt succeeded: the database answers."""
        with self._lock:
            self.cause = None

    def failed_since(self, start: float) -> str | None:
        """The cause when an attempt failed at or after ``start`` (time.monotonic())."""
        with self._lock:
            return self.cause if self.cause and self.failed_at >= start else None

    def admit(self, interval: float) -> bool:
        """Whether a request may use the pool as usual (no outage known: True), or must
        probe the database (False; it then holds the probe until :meth:`probed`).
        Raises :class:`Unreachable` within ``interval`` seconds of the last failure, and
        while another request probes."""
        with self._lock:
            cause, age = self.cause, time.monotonic() - self.failed_at
        if cause is None:
            return True
        if age < interval or not self._probe.acquire(blocking=False):
            raise Unreachable(
                f"no connection attempted: the last attempt failed {age:.2f} sec ago "
                f"(DATABASE_DOWN_RETRY_SECONDS={interval:g}): {cause}"
            )
        return False

    def probed(self) -> None:
        """The probe of the request :meth:`admit` chose is over."""
        self._probe.release()


#: The outage of each database alias (one pool per alias and process).
OUTAGES: dict[str, Outage] = {}


def outage_of(alias: str) -> Outage:
    """The :class:`Outage` of the database ``alias``, made at its first use (asked at
    every new connection: no object is built when it exists)."""
    outage = OUTAGES.get(alias)
    return outage if outage is not None else OUTAGES.setdefault(alias, Outage())


def recording(connection_class: type, outage: Outage | None = None) -> type:
    """A subclass of the psycopg connection class ``connection_class`` whose ``connect``
    keeps the error of its last failed attempt in the class attribute ``failure`` (None
    again after a success): the pool connects in the background and logs its errors, and
    its :class:`PoolTimeout` does not say why it had no connection to give. Each attempt
    is reported to ``outage`` (:meth:`Outage.failed`, :meth:`Outage.connected`)."""

    class Recording(connection_class):
        failure: PsycopgError | None = None
        plain = connection_class  # connects without reporting

        @classmethod
        def connect(cls, *args, **kwargs):
            try:
                connection = super().connect(*args, **kwargs)
            except PsycopgError as error:
                cls.failure = error
                if outage is not None:
                    outage.failed(error)
                raise
            cls.failure = None
            if outage is not None:
                outage.connected()
            return connection

    return Recording


class Operations(DatabaseOperations):
    """Django's PostgreSQL operations; the query log names a prepared statement's SQL too."""

    def last_executed_query(self, cursor, sql, params):
        """The SQL ``cursor`` last ran, values inlined (the query log, ``DEBUG`` or a test's
        capture). A server-binding cursor (:meth:`DatabaseWrapper.prepared_cursor`) keeps
        its text with placeholders (``$1``), or none for a prepared statement's run: its
        SQL is composed here, as a client-binding cursor's is."""
        if isinstance(cursor, ClientCursor):
            return super().last_executed_query(cursor, sql, params)
        return self.compose_sql(sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    """django-prometheus' PostgreSQL wrapper whose pool checks with
    :func:`check_connection` (when ``CONN_HEALTH_CHECKS`` asks for a check) and whose
    :meth:`prepared_cursor` serves the SQL compiler."""

    ops_class = Operations

    @property
    def pool(self) -> ConnectionPool | None:
        pool = super().pool
        # Django creates the pool with check=ConnectionPool.check_connection and
        # psycopg_pool has no setter for it (psycopg_pool is pinned by the lock)
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = check_connection
        if pool is not None and not hasattr(pool.connection_class, "failure"):
            outage = None
            if settings.DATABASE_DOWN_RETRY_SECONDS:
                outage = outage_of(self.alias)
                outage.pool = pool
            pool.connection_class = recording(pool.connection_class, outage)
        return pool

    def get_new_connection(self, conn_params: dict):
        """Django's new (or pooled) connection. Without a pool, or with
        ``DATABASE_DOWN_RETRY_SECONDS`` 0, :meth:`_pooled_connection`. Otherwise while
        the database is known unreachable (:class:`Outage`) raises :class:`Unreachable`
        at once, or probes it with a connection of its own: a failure raises
        :class:`PoolTimeout` naming the cause, a success replaces the pool (whose own
        reconnection may be waiting out a backoff of up to minutes) and goes on."""
        interval = settings.DATABASE_DOWN_RETRY_SECONDS
        if self.pool is None or not interval:
            return self._pooled_connection(conn_params)
        outage = outage_of(self.alias)
        if not outage.admit(interval):
            try:
                self._probe(outage)
            finally:
                outage.probed()
        return self._pooled_connection(conn_params)

    def _probe(self, outage: Outage) -> None:
        """Connect to the database as the pool does (waiting at most its timeout), close
        the connection, replace the pool and end ``outage``; a failure is reported to
        ``outage`` and raises :class:`PoolTimeout` naming it."""
        pool = self.pool
        started = time.monotonic()
        try:
            pool.connection_class.plain.connect(
                pool.conninfo, **{**pool.kwargs, "connect_timeout": max(round(pool.timeout), 1)}
            ).close()
        except PsycopgError as error:
            outage.failed(error)
            raise gave_up(started, error) from error
        # before the outage ends, so that no request waits in the pool being closed
        self.close_pool()
        outage.connected()

    def _pooled_connection(self, conn_params: dict):
        """Django's new (or pooled) connection; when the pool gives up after failing to
        connect, its :class:`PoolTimeout` names the cause on one line ("couldn't get a
        connection after 0.01 sec: connection failed: ... Connection refused"), which
        Django turns into an ``OperationalError`` (a 503, or manage.py's line). With
        fail-fast on, it gives up at the first failed attempt (:meth:`Outage.failed`),
        else after ``DATABASE_POOL_TIMEOUT``."""
        started = time.monotonic()
        try:
            return super().get_new_connection(conn_params)
        except PoolTimeout as timeout:
            failure = getattr(self.pool.connection_class, "failure", None)
            if failure is None:
                raise
            outage = OUTAGES.get(self.alias)
            if outage is not None and outage.failed_since(started):
                raise gave_up(started, failure) from failure
            # psycopg_pool's message: "... after <DATABASE_POOL_TIMEOUT> sec"
            raise PoolTimeout(f"{timeout}: {one_line(failure)}") from failure

    def get_connection_params(self) -> dict:
        """django-prometheus' parameters: Django's, with a cursor class that counts its
        queries (made once per class here; django-prometheus makes a new class at each
        call, and Django calls this at each connection, a pooled one too: per request)."""
        params = postgresql.DatabaseWrapper.get_connection_params(self)
        params["cursor_factory"] = self._counted(params["cursor_factory"])
        return params

    def _counted(self, cursor_class: type) -> type:
        """``cursor_class`` counting its queries in the metrics (django-prometheus)."""
        counted = self.__dict__.setdefault("_counted_cursors", {})
        if cursor_class not in counted:
            counted[cursor_class] = ExportingCursorWrapper(cursor_class, self.alias, self.vendor)
        return counted[cursor_class]

    def prepared_cursor(self):
        """A cursor like :meth:`cursor` (Django's wrapper: execute wrappers, the query log
        and the query metrics) whose parameters psycopg binds on the server, so that the
        same SQL text run ``prepare_threshold`` times on a connection is prepared there
        (psycopg: "Prepared statements"). The SQL must give every parameter a type
        PostgreSQL can infer; its rows come back with psycopg's default loaders (the
        connection's time zone is not applied: for statements that return text or
        numbers). With ``DATABASE_PREPARED_STATEMENTS`` false (a PgBouncer in transaction
        mode older than 1.21, which cannot keep them), :meth:`cursor` itself."""
        if not settings.DATABASE_PREPARED_STATEMENTS:
            return self.cursor()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(self._counted(ServerBindingCursor)(self.connection))
