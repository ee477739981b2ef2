"""Benchmark of the three surfaces on one question (``make bench-surfaces``): a page of 100
villages with their three-level parent chain and their payers, and the total count.

- GraphQL: ``locations(first: 100, filter: {type: VILLAGE}) { totalCount edges { node {
  … parent { … parent { … parent { … } } } payers { … } } } }``;
- FHIR: ``GET /fhir/Location?type=V&_count=100&_include:iterate=Location:partof
  &_revinclude=Organization:location`` (the chain and the payers as included resources);
- JSON:API: ``GET /api/locations?filter[type]=V&page[size]=100
  &include=parent.parent.parent,payers``.

It reuses ``scripts/bench_api.py``'s set-up (its own PostgreSQL database with Cambodia's
hierarchy and 5,000 payers, ``VACUUM ANALYZE``, a service account with the view
permissions owning an OAuth2 client; gunicorn with 2 sync workers, ``DEBUG=false``,
the psycopg pool), first checks that the three answers hold the same data (each village's
code and name, its parent chain's codes and names, its payers' names, the total), then
measures each over HTTP: median and 95th percentile of sequential requests, requests per
second of one client, SQL queries of one request (server side, Django's test client under
``CaptureQueriesContext``, bearer-token authentication included) and response bytes.
Prints a table and writes ``--out`` (default ``bench/surfaces.json``).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_api  # the shared set-up and measuring helpers

ROOT = bench_api.ROOT
GRAPHQL = """query Villages {
  locations(first: 100, filter: {type: VILLAGE}) {
    totalCount
    edges { node {
      uuid code name
      parent { uuid code name parent { uuid code name parent { uuid code name } } }
      payers { uuid name }
    } }
  }
}"""
FHIR = (
    "/fhir/Location?type=V&_count=100&_include:iterate=Location:partof"
    "&_revinclude=Organization:location"
)
JSONAPI = "/api/locations?filter[type]=V&page[size]=100&include=parent.parent.parent,payers"


@dataclass
class Surface:
    name: str
    request: Callable[[httpx.Client], httpx.Response]
    facts: Callable[[dict], dict]
    django_request: Callable[[object], object]


def graphql_facts(body: dict) -> dict:
    """{total, villages: [(code, name, chain of (code, name), sorted payer names)]}."""
    assert "errors" not in body, body
    data = body["data"]["locations"]
    villages = []
    for edge in data["edges"]:
        node, chain = edge["node"], []
        parent = node["parent"]
        while parent:
            chain.append((parent["code"], parent["name"]))
            parent = parent.get("parent")
        villages.append(
            (node["code"], node["name"], chain, sorted(p["name"] for p in node["payers"]))
        )
    return {"total": data["totalCount"], "villages": villages}


def fhir_facts(body: dict) -> dict:
    resources = {
        f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
        for e in body["entry"]
    }
    payers: dict[str, list[str]] = {}
    for resource in resources.values():
        for ext in (
            resource.get("extension", ()) if resource["resourceType"] == "Organization" else ()
        ):
            payers.setdefault(ext["valueReference"]["reference"], []).append(resource["name"])
    villages = []
    for entry in body["entry"]:
        if entry["search"]["mode"] != "match":
            continue
        village, chain = entry["resource"], []
        parent = resources.get(village.get("partOf", {}).get("reference"))
        while parent:
            chain.append((parent["identifier"][1]["value"], parent["name"]))
            parent = resources.get(parent.get("partOf", {}).get("reference"))
        villages.append(
            (
                village["identifier"][1]["value"],
                village["name"],
                chain,
                sorted(payers.get(f"Location/{village['id']}", [])),
            )
        )
    return {"total": body["total"], "villages": villages}


def jsonapi_facts(body: dict) -> dict:
    included = {(i["type"], i["id"]): i for i in body.get("included", ())}

    def related(resource: dict, name: str):
        data = resource["relationships"][name]["data"]
        return included.get((data["type"], data["id"])) if data else None

    villages = []
    for village in body["data"]:
        chain, parent = [], related(village, "parent")
        while parent:
            chain.append((parent["attributes"]["code"], parent["attributes"]["name"]))
            parent = related(parent, "parent")
        payers = [
            included[(p["type"], p["id"])]["attributes"]["name"]
            for p in village["relationships"]["payers"]["data"]
        ]
        villages.append(
            (village["attributes"]["code"], village["attributes"]["name"], chain, sorted(payers))
        )
    return {"total": body["meta"]["pagination"]["count"], "villages": villages}


SURFACES = [
    Surface(
        "GraphQL",
        lambda c: c.post("/graphql", json={"query": GRAPHQL}),
        graphql_facts,
        lambda c: c.post("/graphql", {"query": GRAPHQL}, content_type="application/json"),
    ),
    Surface("FHIR", lambda c: c.get(FHIR), fhir_facts, lambda c: c.get(FHIR)),
    Surface("JSON:API", lambda c: c.get(JSONAPI), jsonapi_facts, lambda c: c.get(JSONAPI)),
]


def count_queries(surface: Surface, token: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    with CaptureQueriesContext(connection) as captured:
        response = surface.django_request(client)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


def main() -> None:
    parser = bench_api.benchmark_parser(__doc__, "bench_surfaces", payers=5000)
    parser.add_argument("--port", type=int, default=18400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--max-requests", type=int, default=200)
    parser.add_argument("--out", default=str(ROOT / "bench" / "surfaces.json"))
    args = parser.parse_args()

    url = httpx.URL(args.database_url)
    db = url.path.lstrip("/")
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "backend.settings",
    }
    env.pop("DATABASE_POOL", None)
    bench_api.prepare_database(
        str(url.copy_with(path="/postgres")), db, env, args.payers, args.reuse
    )
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE")})
    os.environ["DATABASE_POOL"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    bench_api.service_account()

    results = []
    with bench_api.serving(env, args.port, args.workers):
        token = bench_api.fetch_token(args.port)
        base = f"http://127.0.0.1:{args.port}"
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            facts = {}
            for surface in SURFACES:
                response = surface.request(client)
                response.raise_for_status()
                facts[surface.name] = surface.facts(response.json())
            reference = facts["GraphQL"]
            for name, found in facts.items():
                if found != reference:
                    raise SystemExit(f"{name} does not return the same data as GraphQL")
            print(
                f"Same data on the three surfaces: {reference['total']} villages in all, "
                f"{len(reference['villages'])} on the page.",
                flush=True,
            )
            for surface in SURFACES:
                for _ in range(3):  # warm both workers
                    surface.request(client)
                sizes = []

                def run(i, surface=surface, sizes=sizes):
                    response = surface.request(client)
                    response.raise_for_status()
                    sizes.append(len(response.content))

                times, elapsed = bench_api.timed_loop(run, args.seconds, args.max_requests)
                result = {
                    "surface": surface.name,
                    "latency": bench_api.summary(times),
                    "throughput_1_client_rps": round(len(times) / elapsed, 1),
                    "sql_queries": count_queries(surface, token),
                    "response_bytes": sizes[0],
                }
                results.append(result)
                print(f"-- {surface.name}: {result}", flush=True)

    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": bench_api.machine(),
        "requests": {"GraphQL": GRAPHQL, "FHIR": FHIR, "JSON:API": JSONAPI},
        "setup": f"gunicorn, {args.workers} sync workers, DEBUG=false; httpx on the same "
        f"machine, sequential requests; each measurement at most {args.max_requests} "
        f"requests or {args.seconds:g} s",
        "results": results,
    }
    out = bench_api.write_report(report, args.out)
    print("| surface | median ms | p95 ms | req/s (1 client) | SQL queries | response bytes |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['surface']} | {r['latency']['median_ms']} | {r['latency']['p95_ms']} | "
            f"{r['throughput_1_client_rps']} | {r['sql_queries']} | {r['response_bytes']:,} |"
        )
    print(f"\nWritten to {out}.")


if __name__ == "__main__":
    main()
