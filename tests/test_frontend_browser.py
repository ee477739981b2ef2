"""The frontend end to end, in Chromium, against a live server with the quick-start data.

A server (Django's runserver with ``DEBUG=true``, which serves the built static files)
runs on a free port of ``TEST_PORTS`` (:func:`tests.servers.free_ports`) over a SQLite
file holding Cambodia's hierarchy, 500 generated payers and the demo user, once with both
modules and once with the location module alone; ``npm run test:e2e`` (Vitest +
playwright-core, Debian's ``chromium``) drives the browser against it: ``frontend/e2e/app.e2e.ts``.

Skipped, with the reason, when Node.js, ``frontend/node_modules`` (``make frontend``), the
built frontend or ``/usr/bin/chromium`` is missing; ``make test`` and ``.ci/run`` provide
all four.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_ports, manage

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
STARTUP_TIMEOUT = 60  # seconds
E2E_TIMEOUT = 600  # seconds, for the whole browser run

pytestmark = pytest.mark.browser

#: A location editor of one district (``district`` / ``district``: the first district by
#: code), without the global right: the browser checks what the screens offer them.
DISTRICT_USER = """
from django.contrib.auth.models import Permission, User
from modules.location.models import Location, UserDistrict
user = User.objects.create_user("district", password="district")
codes = ["view_location", "add_location", "change_location", "delete_location",
         "manage_upper_levels", "view_payer"]
user.user_permissions.set(Permission.objects.filter(codename__in=codes))
district = Location.objects.current().filter(type="D").order_by("code").first()
UserDistrict.objects.create(user=user, location=district, validity_from="2000-01-01T00:00:00Z")
"""


def _missing() -> str | None:
    if shutil.which("npm") is None:
        return "Node.js (npm) not installed"
    if not (FRONTEND / "node_modules" / "playwright-core").is_dir():
        return "frontend packages not installed: make frontend"
    if not (FRONTEND / "dist" / "manifest.json").is_file():
        return "frontend not built: make frontend"
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} missing: apt-get install chromium"
    return None


@pytest.fixture(scope="module")
def quick_start_env(tmp_path_factory, migrated_sqlite) -> dict:
    """Environment of a server over a new SQLite file with the quick-start data (what
    ``make demo-data`` loads: Cambodia, the demo payers, the demo user)."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("frontend-e2e")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(workdir)),
        "DATABASE_URL": migrated_sqlite(workdir / "db.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
    }
    # make demo-data's loaders and the district user, in one process start
    loaders = "c('load_cambodia'); c('generate_payers'); c('create_demo_user')"
    setup = f"from django.core.management import call_command as c; {loaders}\n{DISTRICT_USER}"
    manage(env, "shell", "-c", setup)
    return env


def _wait_until_answering(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/accounts/login/", timeout=5):
                return
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {STARTUP_TIMEOUT} s:\n{log.read_text()}")


@pytest.mark.parametrize("modules", ["location,payer", "location"])
def test_the_frontend_in_chromium(quick_start_env, modules, tmp_path):
    port = free_ports(1)[0]
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env={**quick_start_env, "OPENIMIS_MODULES": modules},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_answering(url, server, log)
        run = subprocess.run(
            ["npm", "run", "--silent", "test:e2e"],
            cwd=FRONTEND,
            env={
                **os.environ,
                "E2E_BASE_URL": url,
                "E2E_MODULES": modules,
                "CHROMIUM": CHROMIUM,
                "NO_COLOR": "1",
            },
            capture_output=True,
            text=True,
            timeout=E2E_TIMEOUT,
        )
        assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\nserver log:\n{log.read_text()}"
    finally:
        server.terminate()
        server.wait(timeout=10)
