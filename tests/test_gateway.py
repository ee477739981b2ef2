"""The federated deployment answers exactly what the monolith answers.

Two subgraph services run as separate processes (gunicorn), as an operator would deploy
them (both with ``OPENIMIS_MODULES=location,payer``, each serving its module at
``/graphql/<module>``), behind a real Hive Gateway (``federation/gateway.mjs`` on the
Node.js pinned in ``federation/``) reading the committed ``supergraph.graphql``. Each
cross-module query goes to the gateway and to the monolith (``/graphql`` of the second
process, same SQLite file): the JSON answers are identical.
"""

from __future__ import annotations

import base64
import json
import urllib.request

import pytest

from tests.servers import ROOT, base_env, free_ports, gunicorn_command, manage, running

pytestmark = pytest.mark.gateway

FEDERATION_DIR = ROOT / "federation"
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
      locations(first: 2, after: "AFTER_DISTRICT_1_2",
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
        edges { node { name validityTo } }
      }
      location(uuid: "00000000-0000-0000-0000-000000000000") { code }
    }""",
}


#: The keyset cursor of District 1.2 in the order (name desc, code): the page after it.
AFTER = (
    "k2:"
    + base64.urlsafe_b64encode(b'["location.location name desc, code", "District 1.2", "R1D2", 0]')
    .rstrip(b"=")
    .decode()
)
QUERIES["filtered and paginated"] = QUERIES["filtered and paginated"].replace(
    "AFTER_DISTRICT_1_2", AFTER
)


def post(url: str, query: str) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, migrated_sqlite):
    """Start the location service, the payer service and the gateway; stop them after."""
    node = FEDERATION_DIR / "node_modules" / ".bin" / "node"
    if not (FEDERATION_DIR / "node_modules" / "@graphql-hive" / "gateway-runtime").is_dir():
        pytest.skip("federation tooling not installed: make federation-tools")
    workdir = tmp_path_factory.mktemp("federated")
    env = base_env(DATABASE_URL=migrated_sqlite(workdir / "db.sqlite3"))
    manage(env, "shell", "-c", SEED, timeout=120)
    location_port, payer_port, gateway_port = free_ports(3)
    # one worker each (the answers, not the workers, are compared: a Django start-up less
    # per service); the payer module's rules guard location deletes, so both run both:
    # see the README
    env["OPENIMIS_MODULES"] = "location,payer"
    location = f"http://127.0.0.1:{location_port}/graphql/location"
    payer = f"http://127.0.0.1:{payer_port}/graphql/payer"
    gateway = f"http://127.0.0.1:{gateway_port}/graphql"
    gateway_env = {
        "PATH": env["PATH"],
        "PORT": str(gateway_port),
        "SUBGRAPH_LOCATION_URL": location,
        "SUBGRAPH_PAYER_URL": payer,
    }

    def answering(url):
        return lambda: "data" in post(url, "{ __typename }")

    with (
        running(
            gunicorn_command(location_port, 1), env, workdir / "location.log", answering(location)
        ),
        running(gunicorn_command(payer_port, 1), env, workdir / "payer.log", answering(payer)),
        running(
            [str(node), str(FEDERATION_DIR / "gateway.mjs")],
            gateway_env,
            workdir / "gateway.log",
            answering(gateway),
        ),
    ):
        yield {
            "gateway": gateway,
            "gateway_root": f"http://127.0.0.1:{gateway_port}",
            "monolith": f"http://127.0.0.1:{payer_port}/graphql",
            "env": env,
        }


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


def test_the_gateway_reports_live_and_ready(deployment):
    """Hive Gateway's own health endpoints, for the compose health check."""
    for path in ("/healthcheck", "/readiness"):
        with urllib.request.urlopen(deployment["gateway_root"] + path, timeout=10) as response:
            assert response.status == 200, path


#: 1,000 more regions with a payer each (codes X0000 …), and their removal.
PAGE_ROWS = """
from modules.location.models import Location
from modules.payer.models import Payer
for n in range(1000):
    region = Location.objects.create(code=f"X{n:04}", name=f"Extra {n}", type="R")
    Payer.objects.create(name=f"Extra payer {n}", type="G", location=region)
"""
PAGE_ROWS_GONE = """
from modules.location.models import Location
from modules.payer.models import Payer
Payer.objects.filter(name__startswith="Extra payer ").delete()
Location.objects.filter(code__startswith="X").delete()
"""


def test_a_largest_page_joined_across_subgraphs(deployment):
    # the gateway asks the payer subgraph for the payers of the page's 1,000 locations in
    # one _entities request (1,000 representations, 5,000 values and the request's own):
    # from 999 on they were refused by the input limit, 1,000 LIMIT_EXCEEDED errors
    manage(deployment["env"], "shell", "-c", PAGE_ROWS, timeout=300)
    try:
        page = """{ locations(first: 1000, filter: {codeStartsWith: "X"}) { edges { node {
          code payers { name } } } } }"""
        monolith = post(deployment["monolith"], page)
        federated = post(deployment["gateway"], page)
        assert "errors" not in federated, federated["errors"][:1]
        assert federated == monolith
        edges = federated["data"]["locations"]["edges"]
        assert len(edges) == 1000
        assert edges[999]["node"] == {"code": "X0999", "payers": [{"name": "Extra payer 999"}]}
    finally:
        manage(deployment["env"], "shell", "-c", PAGE_ROWS_GONE, timeout=300)
