"""Bad configuration stops start-up with one line naming the problem (no traceback):
every typed setting is read through :mod:`backend.environment`; an unreachable database
is named by its cause; gunicorn with ``backend/gunicorn_config.py`` refuses once, in its
master. Every log line, Python's warnings and gunicorn's included, is JSON."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import subprocess
import sys
import urllib.request

import pytest
from django.core.exceptions import ImproperlyConfigured

from backend.environment import Env, Limit
from tests.servers import ROOT, base_env, free_ports, gunicorn_command, running

BOOLEAN = "a boolean: true, on, ok, y, yes, 1 or false, off, no, n, 0"
LEVELS = "DEBUG, INFO, WARNING, ERROR or CRITICAL"
ZONE = "an IANA time zone name such as Africa/Dar_es_Salaam"
C_INT = "an integer from 0 to 2147483647"


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """``command`` in the repository with the environment ``env`` (text output captured)."""
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py args`` in a clean environment plus ``env``."""
    return run([sys.executable, "manage.py", *args], base_env(**env))


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("GRAPHQL_MAX_PAGE_SIZE", "abc", "an integer of at least 1"),
        ("GRAPHQL_MAX_DEPTH", "0", "an integer of at least 1"),  # in type, out of range
        ("DATABASE_BUSY_TIMEOUT", "5s", C_INT),
        ("AXES_FAILURE_LIMIT", "five", "an integer of at least 1"),
        ("AUTH_CACHE_SECONDS", "soon", "a number of at least 0"),
        ("AUTH_CACHE_SECONDS", "nan", "a number of at least 0"),
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


#: Integers Python's int() reads but a setting refuses: digits with an underscore, a plus
#: sign, surrounding spaces, Arabic-Indic digits (U+0665 U+0660 U+0660); a number's alike.
UNREADABLE_NUMBERS = ["1_000", "+500", " 1000 ", "1000 ", "\u0665\u0660\u0660", "0x10", "1e3"]


@pytest.mark.parametrize("value", UNREADABLE_NUMBERS)
def test_a_number_is_ascii_digits_only(read_settings, value):
    for name, kind in (
        ("GRAPHQL_MAX_PAGE_SIZE", "an integer of at least 1"),
        ("AXES_IPWARE_PROXY_COUNT", "an integer of at least 0"),
        ("AUTH_CACHE_SECONDS", "a number of at least 0"),
    ):
        with pytest.raises(ImproperlyConfigured) as refusal:
            read_settings(**{name: value})
        assert str(refusal.value) == f"{name} must be {kind} (got {value!r}).", name


def test_numbers_in_ascii_digits_are_read(read_settings):
    loaded = read_settings(
        GRAPHQL_MAX_PAGE_SIZE="500", AUTH_CACHE_SECONDS="2.5", DATABASE_DOWN_RETRY_SECONDS="0"
    )
    assert (loaded["GRAPHQL_MAX_PAGE_SIZE"], loaded["AUTH_CACHE_SECONDS"]) == (500, 2.5)
    with pytest.raises(ImproperlyConfigured) as refusal:  # a minus reaches the range
        read_settings(RETRY_AFTER_SECONDS="-1")
    assert str(refusal.value) == "RETRY_AFTER_SECONDS must be an integer of at least 0 (got '-1')."


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("postgres://postgres@127.0.0.1:99999/x", "Port out of range 0-65535"),
        ("postgres://postgres@127.0.0.1:5x/x", "Port could not be cast to integer value as '5x'"),
        ("postgres://postgres@127.0.0.1:-1/x", "Port could not be cast to integer value as '-1'"),
    ],
)
def test_a_database_url_that_does_not_parse_stops_start_up_in_one_line(url, cause):
    result = manage("check", DATABASE_URL=url)
    assert result.returncode == 1
    assert result.stderr == (
        f"Start-up refused: DATABASE_URL is not a database URL this project runs on ({cause}): "
        "use postgres://user@host:5432/name or sqlite:////absolute/path.sqlite3.\n"
    )
    result = manage("check", DATABASE_URL="mysql://root@127.0.0.1/x")
    assert result.stderr.startswith("Start-up refused: DATABASE_URL names ")
    assert result.stderr.count("\n") == 1


def test_an_empty_secret_key_or_secret_file_is_named_in_one_line(tmp_path):
    result = manage("check", SECRET_KEY="")
    assert result.returncode == 1
    assert result.stderr == (
        "Start-up refused: SECRET_KEY is empty: set a long random value, or unset it.\n"
    )
    for content in ("", "\n"):  # a final line break is dropped: empty as well
        (tmp_path / "secret_key").write_text(content)
        result = manage("check", SECRET_KEY_FILE=str(tmp_path / "secret_key"))
        assert result.returncode == 1
        assert result.stderr == (
            f"Start-up refused: SECRET_KEY_FILE: {tmp_path / 'secret_key'} is empty.\n"
        )


def test_management_commands_need_the_secret_key_with_a_public_host():
    """README "Configuration": without a SECRET_KEY, a command runs while ALLOWED_HOSTS
    names local hosts only; with a public one, every command refuses (as the server)."""
    env = base_env()
    del env["SECRET_KEY"]
    assert run([sys.executable, "manage.py", "check"], env).returncode == 0
    env["ALLOWED_HOSTS"] = "api.example.org"
    result = run([sys.executable, "manage.py", "migrate", "--check"], env)
    assert result.returncode == 1
    assert result.stderr == (
        "Start-up refused: SECRET_KEY must be set when the server accepts non-local hosts "
        "(ALLOWED_HOSTS=api.example.org).\n"
    )


def test_a_bad_postgresql_timeout_is_refused_before_connecting():
    result = manage(
        "migrate",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/config_unused",
        DATABASE_STATEMENT_TIMEOUT="soon",
    )
    assert result.stderr == (
        f"Start-up refused: DATABASE_STATEMENT_TIMEOUT must be {C_INT} (got 'soon').\n"
    )


#: Every numeric setting: its kind and range as refusals name it, a value just outside
#: the range and the bound just inside (README, "Configuration").
RANGES = [
    ("GRAPHQL_MAX_PAGE_SIZE", "an integer of at least 1", "0", "1"),
    (
        "GRAPHQL_DEFAULT_PAGE_SIZE",
        "an integer from 1 to GRAPHQL_MAX_PAGE_SIZE=1000",
        "1001",
        "1000",
    ),
    ("GRAPHQL_DEFAULT_PAGE_SIZE", "an integer from 1 to GRAPHQL_MAX_PAGE_SIZE=1000", "0", "1"),
    ("GRAPHQL_MAX_DEPTH", "an integer of at least 1", "-3", "1"),
    ("GRAPHQL_MAX_ALIASES", "an integer of at least 0", "-1", "0"),
    ("GRAPHQL_MAX_TOKENS", "an integer of at least 1", "0", "1"),
    ("GRAPHQL_MAX_FIELDS", "an integer of at least 1", "0", "1"),
    (
        "GRAPHQL_MAX_BODY_BYTES",
        "an integer of at least 136384 (120 * GRAPHQL_MAX_PAGE_SIZE=1000 + 16384: a federation "
        "gateway's page of entities)",
        "136383",
        "136384",
    ),
    (
        "GRAPHQL_MAX_INPUT_VALUES",
        "an integer of at least 6000 (5 * GRAPHQL_MAX_PAGE_SIZE=1000 + 1000: a federation "
        "gateway's page of entities)",
        "5999",
        "6000",
    ),
    ("GRAPHQL_MAX_INPUT_DEPTH", "an integer of at least 1", "0", "1"),
    ("GRAPHQL_MAX_NODES", "an integer of at least 1", "0", "1"),
    ("GRAPHQL_LIST_ESTIMATE", "an integer of at least 1", "0", "1"),
    ("GRAPHQL_FAN_OUT_SECONDS", "an integer of at least 0", "-1", "0"),
    ("AUTH_CACHE_SECONDS", "a number of at least 0", "-0.5", "0"),
    ("SECURE_HSTS_SECONDS", "an integer of at least 0", "-1", "0"),
    ("DATABASE_POOL_MIN", "an integer of at least 0", "-1", "0"),
    ("DATABASE_POOL_MAX", "an integer of at least DATABASE_POOL_MIN=2", "1", "2"),
    ("DATABASE_POOL_TIMEOUT", "an integer from 1 to 2147483647", "0", "2147483647"),
    ("DATABASE_DOWN_RETRY_SECONDS", "a number from 0 to 60", "60.5", "60"),
    ("DATABASE_STATEMENT_TIMEOUT", C_INT, "2147483648", "2147483647"),
    ("DATABASE_LOCK_TIMEOUT", C_INT, "-1", "0"),
    ("DATABASE_BUSY_TIMEOUT", C_INT, "-1", "2147483647"),
    ("RETRY_AFTER_SECONDS", "an integer of at least 0", "-1", "0"),
    ("OAUTH2_ACCESS_TOKEN_SECONDS", "an integer from 1 to 31536000", "31536001", "31536000"),
    ("AXES_FAILURE_LIMIT", "an integer of at least 1", "0", "1"),
    ("AXES_COOLOFF_MINUTES", "an integer from 1 to 525600", "0", "525600"),
    ("AXES_IPWARE_PROXY_COUNT", "an integer of at least 0", "-1", "0"),
]


def read_settings() -> dict:
    """The settings the core and the served surfaces read from the current environment
    (their modules run again, in-process; nothing connects)."""
    values = {}
    for name in ("backend.settings.base", "backend.settings.api"):
        spec = importlib.util.find_spec(name)
        module = importlib.util.module_from_spec(spec)  # a new one, not in sys.modules
        spec.loader.exec_module(module)
        values.update(vars(module))
    return values


@pytest.mark.parametrize(("name", "kind", "outside", "inside"), RANGES)
def test_every_numeric_setting_has_its_range(monkeypatch, name, kind, outside, inside):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/unused")
    monkeypatch.setenv("BEHIND_TLS_PROXY", "true")  # SECURE_HSTS_SECONDS is read then
    monkeypatch.setenv(name, inside)
    read_settings()
    monkeypatch.setenv(name, outside)
    with pytest.raises(ImproperlyConfigured) as refusal:
        read_settings()
    assert str(refusal.value) == f"{name} must be {kind} (got {outside!r})."


def test_a_range_is_checked_on_files_and_defaults_too(monkeypatch, tmp_path):
    env = Env()
    (tmp_path / "depth").write_text("0\n")
    monkeypatch.setenv("SOME_DEPTH_FILE", str(tmp_path / "depth"))
    with pytest.raises(
        ImproperlyConfigured, match=r"^SOME_DEPTH must be an integer of at least 1 \(got '0'\)\.$"
    ):
        env.int("SOME_DEPTH", default=5, minimum=1)
    monkeypatch.delenv("SOME_DEPTH_FILE")
    assert env.int("SOME_DEPTH", default=5, minimum=1) == 5
    with pytest.raises(
        ImproperlyConfigured,
        match=r"^SOME_DEPTH must be an integer of at least SOME_MIN=6 \(got 5\)\.$",
    ):
        env.int("SOME_DEPTH", default=5, minimum=Limit("SOME_MIN", 6))
    monkeypatch.setenv("SOME_RATIO", "1.5")
    assert env.float("SOME_RATIO", minimum=0, maximum=1.5) == 1.5
    monkeypatch.setenv("SOME_RATIO", "inf")
    with pytest.raises(
        ImproperlyConfigured, match=r"^SOME_RATIO must be a number from 0 to 1.5 \(got 'inf'\)\.$"
    ):
        env.float("SOME_RATIO", minimum=0, maximum=1.5)


def test_the_input_limits_hold_a_page_of_federation_representations(read_settings):
    # a gateway's _entities request for a page: GRAPHQL_MAX_PAGE_SIZE representations of
    # 5 values and at most 76 bytes each (the defaults allow 256), besides the rest
    defaults = read_settings()
    assert (defaults["GRAPHQL_MAX_INPUT_VALUES"], defaults["GRAPHQL_MAX_BODY_BYTES"]) == (
        6_000,
        262_144,
    )
    larger = read_settings(GRAPHQL_MAX_PAGE_SIZE="2000")
    assert (larger["GRAPHQL_MAX_INPUT_VALUES"], larger["GRAPHQL_MAX_BODY_BYTES"]) == (
        11_000,
        512_000,
    )
    smaller = read_settings(GRAPHQL_MAX_PAGE_SIZE="100")  # never below the former defaults
    assert (smaller["GRAPHQL_MAX_INPUT_VALUES"], smaller["GRAPHQL_MAX_BODY_BYTES"]) == (
        5_000,
        262_144,
    )
    chosen = read_settings(
        GRAPHQL_MAX_PAGE_SIZE="10", GRAPHQL_MAX_INPUT_VALUES="1050", GRAPHQL_MAX_BODY_BYTES="17584"
    )
    assert (chosen["GRAPHQL_MAX_INPUT_VALUES"], chosen["GRAPHQL_MAX_BODY_BYTES"]) == (1050, 17_584)
    # fewer values than a page of representations: a gateway could not join a page
    with pytest.raises(ImproperlyConfigured) as refusal:
        read_settings(
            GRAPHQL_MAX_PAGE_SIZE="2000",
            GRAPHQL_MAX_INPUT_VALUES="10999",
            GRAPHQL_MAX_BODY_BYTES="512000",
        )
    assert str(refusal.value) == (
        "GRAPHQL_MAX_INPUT_VALUES must be an integer of at least 11000 (5 * "
        "GRAPHQL_MAX_PAGE_SIZE=2000 + 1000: a federation gateway's page of entities) "
        "(got '10999')."
    )
    # fewer bytes than such a page: refused alike (the former floor was 1 byte)
    with pytest.raises(ImproperlyConfigured) as refusal:
        read_settings(GRAPHQL_MAX_PAGE_SIZE="10", GRAPHQL_MAX_BODY_BYTES="17583")
    assert str(refusal.value) == (
        "GRAPHQL_MAX_BODY_BYTES must be an integer of at least 17584 (120 * "
        "GRAPHQL_MAX_PAGE_SIZE=10 + 16384: a federation gateway's page of entities) "
        "(got '17583')."
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
    # the pool gives up at its first failed attempt (fail-fast), not after its 30 s
    # timeout: the seconds it names are far below it, however busy the machine
    waited = r"couldn't get a connection after (?P<seconds>\d+\.\d\d) sec: "
    for pool, before in (("true", waited), ("false", "")):
        result = manage("migrate", DATABASE_URL=url, DATABASE_POOL=pool, DATABASE_POOL_TIMEOUT="30")
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        line = re.fullmatch(
            f"Cannot connect to the database: {before}"
            + re.escape(
                f'connection failed: connection to server at "127.0.0.1", port {dead_port} '
                "failed: Connection refused Is the server running on that host and accepting "
                "TCP/IP connections?"
            ),
            result.stderr.splitlines()[-1],
        )
        assert line is not None, result.stderr
        if before:
            assert float(line["seconds"]) < 10


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
    result = manage("migrate", DATABASE_URL=f"{server}/config_absent", DATABASE_POOL_TIMEOUT="30")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert re.match(
        r"Cannot connect to the database: couldn't get a connection after 0\.\d\d", last
    )
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


@pytest.mark.parametrize(
    ("env", "refusal"),
    [
        (  # the settings read in the master
            {"DEBUG": "false", "SECRET_KEY": None},
            "Refusing to serve with DEBUG=false: SECRET_KEY is not set (the development key "
            "is public).",
        ),
        (  # an error of Django's system checks, which no WSGI server runs
            {"DEBUG": "false", "CORS_ALLOWED_ORIGINS": "notaurl"},
            "corsheaders.E013: Origin 'notaurl' in CORS_ALLOWED_ORIGINS is missing scheme or "
            "netloc.",
        ),
    ],
    ids=["settings", "system-check"],
)
def test_gunicorn_refuses_once_on_one_line(env, refusal):
    (port,) = free_ports(1)
    environment = {k: v for k, v in base_env(**env).items() if v is not None}
    result = run([*gunicorn_command(port), *GUNICORN_CONFIG], environment)
    assert result.returncode == 1
    refusals = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert refusals == [f"Start-up refused: {refusal}"]
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
    secrets = "?access_token=sekrit1&first=3&client_secret=sekrit2&password=sekrit3&code=sekrit4"
    with running([*gunicorn_command(port), *GUNICORN_CONFIG], env, log, ready):
        urllib.request.urlopen(url + secrets, timeout=10).close()
    lines = json_lines(log.read_text())
    events = {(line["logger"], line["event"].split(":")[0]) for line in lines}
    assert {("gunicorn.error", "Listening at"), ("gunicorn.error", "Shutting down")} <= events
    # one line per request, django-structlog's (with its request_id), no gunicorn.access
    # line; the secret query parameters redacted, the others kept
    assert "gunicorn.access" not in {line["logger"] for line in lines}
    finished = [line for line in lines if line["event"] == "request_finished"]
    assert [line["request"] for line in finished if "?" in line["request"]] == [
        "GET /health/live?access_token=[REDACTED]&first=3&client_secret=[REDACTED]"
        "&password=[REDACTED]&code=[REDACTED]"
    ]
    assert "sekrit" not in log.read_text()
    warnings = [line["event"] for line in lines if line["logger"] == "py.warnings"]
    assert warnings and all("UserWarning: No directory at" in event for event in warnings)
