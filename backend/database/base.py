"""The PostgreSQL engine: django-prometheus' (queries counted) whose pooled connections
are checked without a round trip while nothing happened on them (issue 15).

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
"""

from __future__ import annotations

import select
from typing import Any

from django_prometheus.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


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


class DatabaseWrapper(base.DatabaseWrapper):
    """django-prometheus' PostgreSQL wrapper whose pool checks with
    :func:`check_connection` (when ``CONN_HEALTH_CHECKS`` asks for a check)."""

    @property
    def pool(self) -> ConnectionPool | None:
        pool = super().pool
        # Django creates the pool with check=ConnectionPool.check_connection and
        # psycopg_pool has no setter for it (psycopg_pool is pinned by the lock)
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = check_connection
        return pool
