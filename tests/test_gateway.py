"""The federated deployment answers exactly what the monolith answers.

Two subgraph services run as separate processes, as an operator would deploy them
(``OPENIMIS_MODULES=location`` and ``OPENIMIS_MODULES=location,payer``, each serving its
module at ``/graphql/<module>``), behind a real Apollo Gateway reading the committed
``supergraph.graphql``. Each cross-module query goes to the gateway and to the monolith
(``/graphql`` of the second process, same SQLite file): the JSON answers are identical.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.gateway

ROOT = Path(__file__).resolve().parent.parent
FEDERATION_DIR = ROOT / "federation"
STARTUP_TIMEOUT = 60  # seconds for a process to answer
REQUEST_TIMEOUT = 30

#: Bearer token of a superuser, created by SEED; the gateway forwards it to the subgraphs.
TOKEN = "gateway-test-token"

SEED = (
    f"TOKEN = {TOKEN!r}\n"
    + """

from modules.location.models import Location
from modules.payer.models import Payer
types = "CDGLOP"
for i in range(4):
    region = Location.objects.create(code=f"R{i}", name=f"Region {i}", type="R")
    for j in range(3):
        district = Location.objects.create(
            code=f"R{i}D{j}", name=f"District {i}.{j}", type="D", parent=region
        )
        ward = Location.objects.create(
            code=f"R{i}D{j}W", name=f"Ward {i}.{j}", type="W", parent=district
        )
        Location.objects.create(code=f"R{i}D{j}WV", name=f"Village {i}.{j}", type="V", parent=ward)
        Payer.objects.create(name=f"Payer {i}.{j}", type=types[(i + j) % 6], location=district)
    Payer.objects.create(name=f"Regional payer {i}", type="G", location=region, email=f"r{i}@x.org")
    Payer.objects.create(
        name=f"Old payer {i}", type="G", location=region, validity_to="2020-01-01T00:00:00Z"
    )
Payer.objects.create(name="Payer without location", type="O")

import datetime
from django.contrib.auth.models import User
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
admin = User.objects.create_superuser("gateway-admin", password=None)
app = Application.objects.create(
    name="gateway test", user=admin, client_type="confidential",
    authorization_grant_type="client-credentials",
)
AccessToken.objects.create(
    token=TOKEN, application=app, user=admin, scope="read write",
    expires=timezone.now() + datetime.timedelta(hours=1),
)
"""
)

QUERIES = {
    "locations with payers": """{
      locations(filter: {type: REGION}) { totalCount edges { node {
        uuid code name payers { name type email location { code } }
        children { code payers { name } }
      } } }
    }""",
    "payers with location parents": """{
      payers { totalCount edges { node {
        name type location { code name parent { name code payers { name } } }
      } } }
    }""",
    "filtered and paginated": """{
      locations(first: 2, after: "YXJyYXljb25uZWN0aW9uOjA=",
                filter: {type: DISTRICT, codeStartsWith: "R1"},
                orderBy: [{field: NAME, direction: DESC}]) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { code name payers { name location { name } } } }
      }
      payers(first: 3, filter: {type: GOVERNMENT}, orderBy: [{field: NAME}]) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { name location { code children { code } } } }
      }
    }""",
    "history and one location": """{
      payers(validity: {includeHistory: true}, filter: {nameContains: "old"}) {
        edges { node { name validityTo location { code payers { name } } } }
      }
      location(uuid: "00000000-0000-0000-0000-000000000000") { code }
    }""",
}


def free_ports(count: int) -> list[int]:
    """``count`` free TCP ports on 127.0.0.1 in 4100-4199 (the range this project uses)."""
    ports = []
    for port in range(4100, 4200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError("no free ports in 127.0.0.1:4100-4199")


def post(url: str, query: str) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
        return json.loads(response.read())


def wait_until_answering(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url}: the process exited ({process.returncode}):\n{log.read_text()}")
        try:
            if "data" in post(url, "{ __typename }"):
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {STARTUP_TIMEOUT} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """Start the location service, the payer service and the gateway; stop them after."""
    node = shutil.which("node")
    if node is None or not (FEDERATION_DIR / "node_modules" / "@apollo" / "gateway").is_dir():
        pytest.skip("federation tooling not installed: npm ci --prefix federation")
    workdir = tmp_path_factory.mktemp("federated")
    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "LOG_LEVEL": "WARNING",
        # gunicorn with DEBUG=false refuses the public development key
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    for args in (["migrate", "--noinput", "-v", "0"], ["shell", "-c", SEED]):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=base_env,
            check=True,
            timeout=120,
            capture_output=True,
        )
    location_port, payer_port, gateway_port = free_ports(3)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    services = {
        "location": (
            [gunicorn, "backend.wsgi:application", "--bind", f"127.0.0.1:{location_port}"],
            # the payer module's rules guard location deletes: see the README
            {**base_env, "OPENIMIS_MODULES": "location,payer"},
            f"http://127.0.0.1:{location_port}/graphql/location",
        ),
        "payer": (
            [gunicorn, "backend.wsgi:application", "--bind", f"127.0.0.1:{payer_port}"],
            {**base_env, "OPENIMIS_MODULES": "location,payer"},
            f"http://127.0.0.1:{payer_port}/graphql/payer",
        ),
    }
    services["gateway"] = (
        [node, str(FEDERATION_DIR / "gateway.mjs")],
        {
            "PATH": base_env["PATH"],
            "PORT": str(gateway_port),
            "SUBGRAPH_LOCATION_URL": services["location"][2],
            "SUBGRAPH_PAYER_URL": services["payer"][2],
        },
        f"http://127.0.0.1:{gateway_port}/",
    )
    processes = []
    try:
        for name, (command, env, url) in services.items():
            log = workdir / f"{name}.log"
            with log.open("w") as out:
                process = subprocess.Popen(
                    [
                        *command,
                        *(
                            ("--workers", "2", "--no-control-socket")
                            if "gunicorn" in command[0]
                            else ()
                        ),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            processes.append(process)
            wait_until_answering(url, process, log)
        yield {
            "gateway": services["gateway"][2],
            "monolith": f"http://127.0.0.1:{payer_port}/graphql",
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.mark.parametrize("name", QUERIES)
def test_gateway_answers_like_the_monolith(deployment, name):
    monolith = post(deployment["monolith"], QUERIES[name])
    federated = post(deployment["gateway"], QUERIES[name])
    assert "errors" not in monolith, monolith
    assert federated == monolith


def test_the_answers_hold_real_data(deployment):
    data = post(deployment["gateway"], QUERIES["payers with location parents"])["data"]
    nodes = [edge["node"] for edge in data["payers"]["edges"]]
    assert data["payers"]["totalCount"] == len(nodes) == 4 * 3 + 4 + 1
    district_payer = next(n for n in nodes if n["name"] == "Payer 1.2")
    assert district_payer["location"] == {
        "code": "R1D2",
        "name": "District 1.2",
        "parent": {"name": "Region 1", "code": "R1", "payers": [{"name": "Regional payer 1"}]},
    }
    assert next(n for n in nodes if n["name"] == "Payer without location")["location"] is None
