"""The PostgreSQL engine: django-prometheus' (queries counted) whose pooled connections
are checked without a round trip while nothing happened on them (issue 15), and whose
pool's timeout names why it could not connect (:func:`recording`).

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
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.postgresql.operations import DatabaseOperations
from django_prometheus.db.backends.postgresql import base
from django_prometheus.db.common import ExportingCursorWrapper
from psycopg import ClientCursor
from psycopg import Error as PsycopgError
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


def recording(connection_class: type) -> type:
    """A subclass of the psycopg connection class ``connection_class`` whose ``connect``
    keeps the error of its last failed attempt in the class attribute ``failure`` (None
    again after a success): the pool connects in the background and logs its errors, and
    its :class:`PoolTimeout` does not say why it had no connection to give."""

    class Recording(connection_class):
        failure: PsycopgError | None = None

        @classmethod
        def connect(cls, *args, **kwargs):
            try:
                connection = super().connect(*args, **kwargs)
            except PsycopgError as error:
                cls.failure = error
                raise
            cls.failure = None
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
            pool.connection_class = recording(pool.connection_class)
        return pool

    def get_new_connection(self, conn_params: dict):
        """Django's new (or pooled) connection; when the pool times out after failing
        to connect, its :class:`PoolTimeout` names the cause on one line ("couldn't
        get a connection after 10.00 sec: connection failed: ... Connection refused"),
        which Django turns into an ``OperationalError`` (a 503, or manage.py's line)."""
        try:
            return super().get_new_connection(conn_params)
        except PoolTimeout as timeout:
            failure = getattr(self.pool.connection_class, "failure", None)
            if failure is None:
                raise
            raise PoolTimeout(f"{timeout}: {' '.join(str(failure).split())}") from failure

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
