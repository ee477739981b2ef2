"""Real servers for end-to-end tests: free ports, processes started and always stopped.

Ports come from ``TEST_PORTS`` (``FIRST-LAST``, default ``4100-4199``, the range this
project's tests use); a machine shared with other work can give each checkout its own.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60  # seconds for a process to answer
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def port_range() -> range:
    first, _, last = os.environ.get("TEST_PORTS", "4100-4199").partition("-")
    return range(int(first), int(last) + 1)


def free_ports(count: int) -> list[int]:
    """``count`` TCP ports of :func:`port_range` that are free on 127.0.0.1 now."""
    ports = []
    for port in port_range():
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError(f"fewer than {count} free ports in 127.0.0.1:{port_range()}")


#: Where a server or command a test starts keeps its database when the test names none:
#: a folder of this test run, removed at its end; never the repository's ``db.sqlite3``,
#: which ``make run`` fills (its demo user changes what the deployment checks say).
_UNNAMED_DATABASES = tempfile.TemporaryDirectory(prefix="openimis-tests-")


def base_env(**extra: str) -> dict[str, str]:
    """A clean environment for a server of this project (no variables of the caller's
    shell but PATH), plus ``extra``; without a ``DATABASE_URL`` in ``extra``, an empty
    SQLite file of this test run (not the repository's ``db.sqlite3``)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"sqlite:///{_UNNAMED_DATABASES.name}/unnamed.sqlite3",
        **extra,
    }
    if "SECRET_KEY_FILE" not in env:
        # gunicorn with DEBUG=false refuses the public development key (backend/deployment.py)
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> None:
    """Run ``manage.py args`` in the repository with the environment ``env``; raises
    ``CalledProcessError`` (output captured) when it fails."""
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=timeout,
        capture_output=True,
    )


def gunicorn_command(
    port: int, workers: int = 2, app: str = "backend.wsgi:application"
) -> list[str]:
    """gunicorn serving the WSGI callable ``app`` (the project's) on 127.0.0.1:``port``."""
    return [
        GUNICORN,
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--no-control-socket",
    ]


@contextmanager
def running(
    command: list[str], env: dict[str, str], log: Path, ready: Callable[[], bool]
) -> Iterator[subprocess.Popen]:
    """Start ``command`` (output to ``log``), wait until ``ready()`` is true, yield the
    process, and terminate it afterwards (killed after 10 s). Fails the test with the
    log when the process exits or does not get ready within STARTUP_TIMEOUT."""
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"{command[0]} exited ({process.returncode}):\n{log.read_text()}")
            try:
                if ready():
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{command} did not answer in {STARTUP_TIMEOUT} s:\n{log.read_text()}")
            time.sleep(0.3)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class TemporaryPostgres:
    """A PostgreSQL server of its own in a temporary folder, on 127.0.0.1:``port`` (user
    ``postgres``, trust authentication), for stopping and starting it again as a test or
    benchmark needs; never the shared server. As root, its programs run as the user
    ``postgres`` (PostgreSQL refuses root). Use it in a ``with`` block: the server is
    stopped and the folder removed at its end."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"postgres://postgres@127.0.0.1:{port}/postgres"
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self._folder = Path(tempfile.mkdtemp(prefix="temporary_postgres_"))
        self._data = self._folder / "data"

    @staticmethod
    def available() -> bool:
        """Whether ``initdb`` and ``pg_ctl`` are on ``PATH``."""
        return bool(shutil.which("initdb") and shutil.which("pg_ctl"))

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as_owner, *command], check=True, capture_output=True, timeout=120)

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self._data), "-w", *args)

    def start(self) -> None:
        """Start the server; returns once it accepts connections."""
        options = f"-p {self.port} -k {self._folder} -c listen_addresses=127.0.0.1"
        self._pg_ctl("-o", options, "-l", str(self._folder / "log"), "start")

    def stop(self) -> None:
        """Stop the server (fast shutdown: its sessions are ended)."""
        self._pg_ctl("-m", "fast", "stop")

    def __enter__(self) -> TemporaryPostgres:
        if self._as_owner:
            shutil.chown(self._folder, "postgres")
        self._run("initdb", "-D", str(self._data), "-U", "postgres", "--auth=trust")
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if (self._data / "postmaster.pid").exists():
            self._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self._folder, ignore_errors=True)
