"""Mixed load with faults (issue 10): no acknowledged write lost, every failure answers
JSON saying whether to retry.

What it does:

1. uses the attack benchmark's database (``bench_attack.py`` builds it; ``--reuse`` is
   implied) and serves it as deployed (gunicorn, 2 sync workers, ``DEBUG=false``);
2. runs ``--clients`` clients for ``--seconds``: each loops over reads (a page of
   villages, a payer search) and writes (``updatePayer`` renaming one of 64 shared
   payers to a value never used before, ``createLocation`` of a fresh village code);
3. at a third of the run terminates every database backend of the benchmark database
   (``pg_terminate_backend``: a failover or an operator), at two thirds kills one
   gunicorn worker with SIGKILL (the OOM killer);
4. afterwards checks every acknowledged write (HTTP 200, ``errors: []``) against the
   database: the renamed value is a version of the payer (current row or history), the
   created code is a current location;
5. prints and writes to ``--out``: requests, acknowledged writes, writes found, the
   failures by HTTP status and ``extensions.code`` (retryable or not) and the requests
   that got no HTTP answer at all (in flight in the killed worker).

Linux only. ``python scripts/bench_faults.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import ROOT, fetch_token, machine, service_account, serving
from bench_attack import server_env, workers

READ_PAGE = """{ locations(first: 50, filter: {type: VILLAGE}) {
  totalCount edges { node { code name parent { code } payers { name } } } } }"""
READ_SEARCH = '{ payers(first: 20, filter: {search: "co"}) { totalCount edges { node { name } } } }'
RENAME = """mutation ($u: UUID!, $n: String!) { updatePayer(input: {uuid: $u, name: $n}) {
  payer { name } errors { code message } } }"""
CREATE = """mutation ($c: String!, $p: UUID!) {
  createLocation(input: {code: $c, name: "Fault village", type: VILLAGE, parent: $p}) {
  location { code } errors { code message } } }"""


class Tally:
    """Thread-safe counts and the acknowledged writes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.outcomes: collections.Counter = collections.Counter()
        self.renamed: list[tuple[str, str]] = []
        self.created: list[str] = []
        self.unanswered: list[str] = []

    def add(self, outcome: str) -> None:
        with self.lock:
            self.requests += 1
            self.outcomes[outcome] += 1


def classify(response: httpx.Response) -> tuple[str, dict | None]:
    """``(outcome, body)``: "ok", or the failure as "<status> <code> retry=<yes/no>";
    a body that is not JSON is "<status> NOT JSON"."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} NOT JSON", None
    errors = body.get("errors") or []
    payload = next(iter((body.get("data") or {}).values()), None)
    user_errors = payload.get("errors") if isinstance(payload, dict) else None
    if response.status_code == 200 and not errors and not user_errors:
        return "ok", body
    if errors:
        code = (errors[0].get("extensions") or {}).get("code", "NO CODE")
    else:
        code = "payload " + ",".join(e["code"] for e in user_errors)
    retry = response.status_code == 503 and "Retry-After" in response.headers
    return f"{response.status_code} {code} retry={'yes' if retry else 'no'}", body


def client_loop(n: int, base: str, token: str, ctx: dict, tally: Tally, deadline: float) -> None:
    rng = random.Random(n)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            kind = rng.choice(["page", "search", "rename", "rename", "create"])
            if kind == "page":
                body = {"query": READ_PAGE}
            elif kind == "search":
                body = {"query": READ_SEARCH}
            elif kind == "rename":
                value = f"c{n}-{i}"
                body = {"query": RENAME, "variables": {"u": rng.choice(ctx["payers"]), "n": value}}
            else:
                value = f"F{n:02d}{i:05d}"[:8]
                body = {"query": CREATE, "variables": {"c": value, "p": ctx["municipality"]}}
            try:
                response = client.post("/graphql", json=body)
            except httpx.TransportError as error:
                with tally.lock:
                    tally.unanswered.append(f"{kind}: {type(error).__name__}")
                tally.add("no HTTP answer")
                continue
            outcome, _ = classify(response)
            tally.add(outcome)
            if outcome == "ok" and kind == "rename":
                with tally.lock:
                    tally.renamed.append((body["variables"]["u"], value))
            elif outcome == "ok" and kind == "create":
                with tally.lock:
                    tally.created.append(value)


def terminate_backends(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        return len(
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        )


def verify(database_url: str, tally: Tally) -> dict:
    """Acknowledged writes found in the database (current row or history)."""
    with psycopg.connect(database_url) as conn:
        versions = collections.defaultdict(set)
        for uuid, name in conn.execute(
            """SELECT c.uuid, v.name FROM payer_payer c
               JOIN payer_payer v ON v.id = c.id OR v.legacy_id = c.id
               WHERE c.validity_to IS NULL"""
        ):
            versions[str(uuid)].add(name)
        codes = {
            code
            for (code,) in conn.execute(
                "SELECT code FROM location_location WHERE validity_to IS NULL AND code LIKE 'F%%'"
            )
        }
    renamed_found = sum(1 for uuid, name in tally.renamed if name in versions[uuid])
    created_found = sum(1 for code in tally.created if code in codes)
    return {
        "renames_acknowledged": len(tally.renamed),
        "renames_found": renamed_found,
        "creates_acknowledged": len(tally.created),
        "creates_found": created_found,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_attack")
    parser.add_argument("--port", type=int, default=18312)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--out", default=str(ROOT / "bench" / "faults.json"))
    args = parser.parse_args()

    env = server_env(args.database_url)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE")})
    os.environ["SECRET_KEY"] = env["SECRET_KEY"]
    os.environ["DATABASE_POOL"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    service_account()
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM location_location WHERE code LIKE 'F%%' AND type = 'V'")
        payers = [
            str(u)
            for (u,) in conn.execute(
                "SELECT uuid FROM payer_payer WHERE validity_to IS NULL ORDER BY id LIMIT 64"
            )
        ]
        municipality = conn.execute(
            "SELECT uuid FROM location_location WHERE type = 'W' AND validity_to IS NULL "
            "ORDER BY code LIMIT 1"
        ).fetchone()[0]
    from django.contrib.auth.models import Permission, User

    service = User.objects.get(username="bench-service")
    for codename in ("add_location", "manage_upper_levels"):
        service.user_permissions.add(Permission.objects.get(codename=codename))
    ctx = {"payers": payers, "municipality": str(municipality)}

    tally = Tally()
    events = []
    with serving(env, args.port, 2) as server:
        token = fetch_token(args.port)
        base = f"http://127.0.0.1:{args.port}"
        start = time.monotonic()
        deadline = start + args.seconds
        threads = [
            threading.Thread(target=client_loop, args=(n, base, token, ctx, tally, deadline))
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(args.seconds / 3)
        events.append(
            f"{time.monotonic() - start:.0f} s: terminated "
            f"{terminate_backends(args.database_url)} database backends"
        )
        time.sleep(args.seconds / 3)
        victim = workers(server.pid)[0]
        os.kill(victim.pid, signal.SIGKILL)
        events.append(f"{time.monotonic() - start:.0f} s: killed gunicorn worker {victim.pid}")
        for thread in threads:
            thread.join()

    found = verify(args.database_url, tally)
    failures = {k: v for k, v in tally.outcomes.items() if k != "ok"}
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "setup": f"{args.clients} clients, {args.seconds:g} s, gunicorn 2 sync workers, "
        "DEBUG=false, PostgreSQL; reads (page of villages, payer search) and writes "
        "(updatePayer over 64 shared payers, createLocation)",
        "events": events,
        "requests": tally.requests,
        "ok": tally.outcomes["ok"],
        "failures": failures,
        "unanswered": tally.unanswered,
        **found,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    lost = (found["renames_acknowledged"] - found["renames_found"]) + (
        found["creates_acknowledged"] - found["creates_found"]
    )
    not_json = sum(v for k, v in failures.items() if "NOT JSON" in k)
    print(f"\nLost acknowledged writes: {lost}; failures without a JSON answer: {not_json}.")
    if lost or not_json:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
