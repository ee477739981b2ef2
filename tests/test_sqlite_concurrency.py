"""SQLite (the embedded default) under concurrent writes: a writer waits for the
database lock (the busy timeout) and takes it when its transaction begins
(``transaction_mode`` IMMEDIATE), so concurrent writes all succeed instead of failing at
once with "database is locked" (a 503); reads go on beside a write (WAL). Runs on its own
SQLite files whatever ``DATABASE_URL`` says."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper

from tests.servers import base_env, free_ports, gunicorn_command, manage, running

TOKEN = "sqlite-concurrency-token"
WRITES = 40
SEED = f"""
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
user = User.objects.create_superuser("writer", password=None)
app = Application.objects.create(name="t", client_type="confidential",
    authorization_grant_type="client-credentials", user=user)
AccessToken.objects.create(token={TOKEN!r}, user=user, application=app,
    expires=timezone.now() + timedelta(hours=1), scope="read write")
"""


def read_then_write(path, options: dict, hold: float, started: threading.Barrier) -> str:
    """On a new connection to the SQLite file ``path`` with ``options``, in one
    transaction: read, wait ``hold`` seconds, insert a row; "ok" or the error's text."""
    alias = f"sqlite-{threading.get_ident()}"
    connections[alias] = DatabaseWrapper(
        {**connections["default"].settings_dict, "NAME": str(path), "OPTIONS": options},
        alias=alias,
    )
    try:
        started.wait(10)
        with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM t")
            time.sleep(hold)
            cursor.execute("INSERT INTO t (n) VALUES (1)")
        return "ok"
    except OperationalError as error:
        return str(error)
    finally:
        connections[alias].close()


def concurrently(path, options: dict, writers: int = 2) -> list[str]:
    """Run ``writers`` :func:`read_then_write` transactions at once on the SQLite file
    ``path``, made first as ``migrate`` makes a deployment's file: with the connections'
    ``init_command`` (WAL is kept in the file, so the writers find it set; switching the
    journal mode needs the file to itself, and three new connections racing to switch it
    can be refused at once, whatever the busy timeout)."""
    with sqlite3.connect(path) as setup:
        if options.get("init_command"):
            setup.execute(options["init_command"])
        setup.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    started = threading.Barrier(writers)
    with ThreadPoolExecutor(writers) as pool:
        futures = [
            pool.submit(read_then_write, path, options, 0.3, started) for _ in range(writers)
        ]
        return [f.result() for f in futures]


@pytest.fixture
def unblocked(django_db_blocker):
    """Database access allowed (to the tests' own SQLite files)."""
    with django_db_blocker.unblock():
        yield


@pytest.mark.usefixtures("unblocked")
def test_concurrent_read_then_write_transactions_all_succeed(tmp_path):
    assert settings.SQLITE_OPTIONS == {
        "timeout": 5.0,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL",
    }
    path = tmp_path / "db.sqlite3"
    assert concurrently(path, settings.SQLITE_OPTIONS, writers=3) == ["ok", "ok", "ok"]
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT COUNT(*) FROM t").fetchone() == (3,)


@pytest.mark.usefixtures("unblocked")
def test_without_immediate_transactions_one_fails_at_once_whatever_the_timeout(tmp_path):
    # why transaction_mode IMMEDIATE: both read (a shared lock), then both want to
    # write; SQLite refuses one at once (its busy timeout cannot help a deadlock)
    answers = concurrently(tmp_path / "db.sqlite3", {"timeout": 5.0})
    assert sorted(answers) == ["database is locked", "ok"]


def run_on(path, options: dict, sql: str):
    """``sql``'s first row on a new Django connection to ``path`` with ``options``, or the
    error's text."""
    alias = f"sqlite-{threading.get_ident()}-{time.monotonic_ns()}"
    connections[alias] = DatabaseWrapper(
        {**connections["default"].settings_dict, "NAME": str(path), "OPTIONS": options},
        alias=alias,
    )
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()
    except OperationalError as error:
        return str(error)
    finally:
        connections[alias].close()


@pytest.mark.usefixtures("unblocked")
@pytest.mark.parametrize(("wal", "read"), [(True, (0,)), (False, "database is locked")])
def test_reads_go_on_while_a_write_holds_the_database(tmp_path, wal, read):
    # given a database made with the settings' options (or without WAL), a short timeout
    path = tmp_path / "db.sqlite3"
    options = {**settings.SQLITE_OPTIONS, "timeout": 0.2}
    if not wal:
        del options["init_command"]
    assert run_on(path, options, "CREATE TABLE t (n INTEGER)") is None
    assert run_on(path, options, "PRAGMA journal_mode") == ("wal" if wal else "delete",)
    # and a writer holding it: what SQLite does while it writes a transaction's changes
    # (an import's, as they spill from its cache, or at commit); EXCLUSIVE, at once
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("INSERT INTO t (n) VALUES (1)")
    try:
        # when another connection reads, then it sees the committed rows (WAL), or it
        # fails once the busy timeout is over (a 503 for a request)
        assert run_on(path, options, "SELECT COUNT(*) FROM t") == read
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def post(url: str, query: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_concurrent_mutations_through_server_processes_all_succeed(tmp_path, migrated_sqlite):
    """gunicorn, 4 worker processes, one SQLite file: 40 createLocation at once (without
    the settings some answered 503 "database is locked")."""
    env = base_env(DATABASE_URL=migrated_sqlite(tmp_path / "db.sqlite3"))
    manage(env, "shell", "-c", SEED, timeout=300)
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}/graphql"
    ready = lambda: post(url, "{ __typename }")[0] == 200  # noqa: E731
    with running(gunicorn_command(port, workers=4), env, tmp_path / "server.log", ready):
        queries = [
            f'mutation {{ createLocation(input: {{code: "R{i}", name: "Region {i}", '
            "type: REGION}) { location { code } errors { code } } }"
            for i in range(WRITES)
        ]
        with ThreadPoolExecutor(WRITES) as pool:
            answers = list(pool.map(lambda q: post(url, q), queries))
        count = post(url, "{ locations { totalCount } }")[1]
    assert [status for status, _ in answers] == [200] * WRITES, answers
    assert sorted(a["data"]["createLocation"]["location"]["code"] for _, a in answers) == sorted(
        f"R{i}" for i in range(WRITES)
    )
    assert count == {"data": {"locations": {"totalCount": WRITES}}}
