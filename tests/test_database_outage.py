"""A pooled PostgreSQL connection while the server is stopped fails fast
(``backend/database/base.py``, :class:`~backend.database.base.Outage`), and comes back
soon after the server does: in-process, on a PostgreSQL of its own that the test stops
and starts (``initdb`` and ``pg_ctl``), with a pool timeout long enough that any wait for
it would show."""

from __future__ import annotations

import re
import time

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler

from backend.database.base import OUTAGES
from tests.servers import TemporaryPostgres, free_ports

pytestmark = pytest.mark.skipif(not TemporaryPostgres.available(), reason="needs initdb and pg_ctl")

POOL_TIMEOUT = 30  # seconds: what a request would wait without fail-fast
ALIAS = "outage"
WAITED = r"couldn't get a connection after \d+\.\d\d sec"
NOT_ATTEMPTED = (
    r"no connection attempted: the last attempt failed 0\.\d\d sec ago "
    r"\(DATABASE_DOWN_RETRY_SECONDS=1\)"
)
REFUSED = re.escape(
    "Connection refused Is the server running on that host and accepting TCP/IP connections?"
)


def connect_failure(wrapper) -> tuple[str, float]:
    """(message, seconds) of ``wrapper``'s failing ``ensure_connection``."""
    start = time.monotonic()
    with pytest.raises(OperationalError) as failure:
        wrapper.ensure_connection()
    return str(failure.value), time.monotonic() - start


def test_a_stopped_database_fails_fast_and_is_used_again_once_back(settings, django_db_blocker):
    settings.DATABASE_DOWN_RETRY_SECONDS = 1
    (port,) = free_ports(1)
    with TemporaryPostgres(port) as database, django_db_blocker.unblock():
        handler = ConnectionHandler(
            {
                "default": {"ENGINE": "django.db.backends.dummy"},  # Django requires one
                ALIAS: {
                    "ENGINE": "backend.database",
                    "NAME": "postgres",
                    "USER": "postgres",
                    "HOST": "127.0.0.1",
                    "PORT": port,
                    "CONN_HEALTH_CHECKS": True,
                    "OPTIONS": {"pool": {"min_size": 2, "max_size": 4, "timeout": POOL_TIMEOUT}},
                },
            }
        )
        wrapper = handler[ALIAS]
        try:
            wrapper.ensure_connection()
            wrapper.close()  # back to the pool
            database.stop()
            server = f'connection failed: connection to server at "127.0.0.1", port {port} failed: '

            # the first request finds out (its own attempt or the pool's, made as the
            # server shut down): no wait for the pool's timeout
            message, seconds = connect_failure(wrapper)
            assert re.match(rf"({WAITED}|{NOT_ATTEMPTED}): {re.escape(server)}", message)
            assert seconds < 5 < POOL_TIMEOUT

            # a second after the last failed attempt (the pool's own, in the background,
            # or a request's), one request tries again, refused at once; within that
            # second, requests do not even try
            probed = False
            for _ in range(10):
                time.sleep(1.05)
                message, seconds = connect_failure(wrapper)
                assert seconds < 5
                if re.fullmatch(f"{WAITED}: {re.escape(server)}{REFUSED}", message):
                    probed = True
                    break
                assert re.fullmatch(f"{NOT_ATTEMPTED}: {re.escape(server)}{REFUSED}", message)
            assert probed
            message, seconds = connect_failure(wrapper)
            assert re.fullmatch(f"{NOT_ATTEMPTED}: {re.escape(server)}{REFUSED}", message)
            assert seconds < 0.5

            # back: a connection within about DATABASE_DOWN_RETRY_SECONDS, through the
            # pool's own reconnection or a request's attempt (which then replaces the
            # pool: its reconnection backoff doubles up to minutes)
            database.start()
            start = time.monotonic()
            while True:
                try:
                    wrapper.ensure_connection()
                    break
                except OperationalError:
                    assert time.monotonic() - start < 5
                    time.sleep(0.1)
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT 1")
                assert cursor.fetchone() == (1,)
        finally:
            wrapper.close()
            wrapper.close_pool()
            OUTAGES.pop(ALIAS, None)
