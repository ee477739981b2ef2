"""Bad configuration stops start-up with one line naming the variable and its value (no
traceback): every typed setting is read through :mod:`backend.environment`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.servers import ROOT, base_env, free_ports

BOOLEAN = "a boolean: true, on, ok, y, yes, 1 or false, off, no, n, 0"
LEVELS = "DEBUG, INFO, WARNING, ERROR or CRITICAL"
ZONE = "an IANA time zone name such as Africa/Dar_es_Salaam"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py args`` in a clean environment plus ``env`` (text output captured)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("GRAPHQL_MAX_PAGE_SIZE", "abc", "an integer"),
        ("DATABASE_BUSY_TIMEOUT", "5s", "an integer"),
        ("AXES_FAILURE_LIMIT", "five", "an integer"),
        ("AUTH_CACHE_SECONDS", "soon", "a number"),
        ("AUTH_CACHE_SECONDS", "nan", "a number"),
        ("DEBUG", "maybe", BOOLEAN),
        ("GRAPHQL_COMPILE", "nope", BOOLEAN),
        ("BEHIND_TLS_PROXY", "", BOOLEAN),
        ("LOG_LEVEL", "LOUD", LEVELS),
        ("LOG_FORMAT", "xml", "json or console"),
        ("TIME_ZONE", "Mars/Base", ZONE),
        ("LEGACY_TIME_ZONE", "Nowhere", ZONE),
    ],
)
def test_a_bad_value_stops_start_up_in_one_line(name, value, kind):
    result = manage("check", **{name: value})
    assert result.returncode == 1
    assert result.stderr == f"Start-up refused: {name} must be {kind} (got {value!r}).\n"


def test_a_bad_postgresql_timeout_is_refused_before_connecting():
    result = manage(
        "migrate",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/config_unused",
        DATABASE_STATEMENT_TIMEOUT="soon",
    )
    assert result.stderr == (
        "Start-up refused: DATABASE_STATEMENT_TIMEOUT must be an integer (got 'soon').\n"
    )


@pytest.mark.parametrize(
    ("value", "debug"),
    [("true", True), ("Yes", True), (" on ", True), ("1", True), ("off", False), ("N", False)],
)
def test_booleans_take_the_documented_spellings(value, debug):
    script = "from django.conf import settings; print(settings.DEBUG)"
    result = manage("shell", "--no-imports", "-c", script, DEBUG=value)
    assert result.stdout == f"{debug}\n", result.stderr


def test_log_levels_are_read_without_case():
    script = "import logging; print(logging.getLogger().level)"
    result = manage("shell", "--no-imports", "-c", script, LOG_LEVEL="error")
    assert result.stdout == "40\n", result.stderr


def test_an_unreachable_database_is_named_in_one_line():
    (dead_port,) = free_ports(1)  # nothing listens there
    url = f"postgres://postgres@127.0.0.1:{dead_port}/x"
    for pool, waited in (("true", "couldn't get a connection after 1.00 sec: "), ("false", "")):
        result = manage("migrate", DATABASE_URL=url, DATABASE_POOL=pool, DATABASE_POOL_TIMEOUT="1")
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert result.stderr.splitlines()[-1] == (
            f"Cannot connect to the database: {waited}connection failed: connection to server "
            f'at "127.0.0.1", port {dead_port} failed: Connection refused Is the server '
            "running on that host and accepting TCP/IP connections?"
        )


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"
)
def test_a_missing_database_is_named_in_one_line():
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    result = manage("migrate", DATABASE_URL=f"{server}/config_absent", DATABASE_POOL_TIMEOUT="1")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("Cannot connect to the database: couldn't get a connection after 1.00")
    assert last.endswith('failed: FATAL: database "config_absent" does not exist')
