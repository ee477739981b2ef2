"""Bad configuration stops start-up with one line naming the problem (no traceback):
every typed setting is read through :mod:`backend.environment`; an unreachable database
is named by its cause; gunicorn with ``backend/gunicorn_config.py`` refuses once, in its
master. Every log line, Python's warnings and gunicorn's included, is JSON."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.request

import pytest

from tests.servers import ROOT, base_env, free_ports, gunicorn_command, running

BOOLEAN = "a boolean: true, on, ok, y, yes, 1 or false, off, no, n, 0"
LEVELS = "DEBUG, INFO, WARNING, ERROR or CRITICAL"
ZONE = "an IANA time zone name such as Africa/Dar_es_Salaam"


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """``command`` in the repository with the environment ``env`` (text output captured)."""
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py args`` in a clean environment plus ``env``."""
    return run([sys.executable, "manage.py", *args], base_env(**env))


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
def test_booleans_take_the_documented_spellings(read_settings, value, debug):
    # the settings read in this process: what the value means, not how a refusal prints
    assert read_settings(DEBUG=value)["DEBUG"] is debug


def test_log_levels_are_read_without_case(read_settings):
    logging_config = read_settings(LOG_LEVEL="error")["LOGGING"]  # Django's dictConfig
    assert logging.getLevelNamesMapping()[logging_config["root"]["level"]] == 40


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


def test_a_sqlite_file_that_cannot_be_opened_is_named_in_one_line(tmp_path):
    result = manage("migrate", DATABASE_URL=f"sqlite:///{tmp_path / 'no-folder' / 'db.sqlite3'}")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "Cannot connect to the database: unable to open database file"
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


def json_lines(text: str) -> list[dict]:
    """The lines of ``text``, each parsed as JSON (fails on a line that is not)."""
    return [json.loads(line) for line in text.splitlines()]


def test_a_python_warning_is_logged_as_json():
    script = "import warnings; warnings.warn('an odd value')"
    result = manage("shell", "--no-imports", "-c", script, DEBUG="false")
    (line,) = json_lines(result.stderr)
    assert (line["logger"], line["level"]) == ("py.warnings", "warning")
    assert "UserWarning: an odd value" in line["event"]


GUNICORN_CONFIG = ["--config", "python:backend.gunicorn_config"]


def test_gunicorn_refuses_once_on_one_line():
    (port,) = free_ports(1)
    env = base_env(DEBUG="false")
    del env["SECRET_KEY"]
    result = run([*gunicorn_command(port), *GUNICORN_CONFIG], env)
    assert result.returncode == 1
    refusals = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert refusals == [
        "Start-up refused: Refusing to serve with DEBUG=false: SECRET_KEY is not set "
        "(the development key is public)."
    ]
    assert "Booting worker" not in result.stderr


def test_every_line_of_gunicorn_is_json(tmp_path):
    (port,) = free_ports(1)
    env = base_env(
        DEBUG="false",
        LOG_LEVEL="INFO",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "not-collected"),  # WhiteNoise warns: "No directory at"
    )
    url = f"http://127.0.0.1:{port}/health/live"

    def ready() -> bool:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200

    log = tmp_path / "log"
    with running([*gunicorn_command(port), *GUNICORN_CONFIG], env, log, ready):
        pass
    lines = json_lines(log.read_text())
    events = {(line["logger"], line["event"].split(":")[0]) for line in lines}
    assert {("gunicorn.error", "Listening at"), ("gunicorn.error", "Shutting down")} <= events
    warnings = [line["event"] for line in lines if line["logger"] == "py.warnings"]
    assert warnings and all("UserWarning: No directory at" in event for event in warnings)
