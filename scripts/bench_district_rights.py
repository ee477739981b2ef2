"""Benchmark of district rights (issue 11, item 10): what the restriction costs a page.

On Cambodia's hierarchy (``load_cambodia``) and the generated payers
(``generate_payers --seed 42``) in a database of its own, runs each GraphQL document
below in-process (Django's test client, a session) as a user with the global right and
as a user attached to one district (the one with the most locations below it), and
prints, per document and user: median and best wall time in ms over the runs, the SQL
queries of one run and the ``totalCount`` answered.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_district_rights \\
        .venv/bin/python scripts/bench_district_rights.py [--repeat 20] [--reuse]

Without ``DATABASE_URL`` it uses a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOCUMENTS = {
    "villages, page of 100": (
        "{ locations(first: 100, filter: {type: VILLAGE}) { totalCount "
        "edges { node { code name parent { code parent { code } } } } } }"
    ),
    "search 'Chey', page of 100": (
        '{ locations(first: 100, filter: {search: "Chey"}) { totalCount '
        "edges { node { code children { code } childrenCount } } } }"
    ),
    "payers with location, page of 100": (
        "{ payers(first: 100) { totalCount edges { node { name location { code } } } } }"
    ),
    "regions with payers and counts": (
        "{ locations(filter: {type: REGION}) { totalCount edges { node { code "
        "children { code } childrenCount payers { name } payersCount } } } }"
    ),
}
PERMISSIONS = ("location.view_location", "payer.view_payer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per cell (default 20)")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.contrib.auth.models import Permission, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from modules.location.models import Location, UserDistrict

    call_command("migrate", verbosity=0)
    if not (args.reuse and Location.objects.exists()):
        call_command("load_cambodia", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        call_command("generate_payers", "--seed", "42", stdout=open(os.devnull, "w"))  # noqa: SIM115
    districts = Location.objects.current().filter(type="D")
    district = max(districts, key=lambda d: Location.objects.current().below(d.uuid).count())
    size = Location.objects.current().below(district.uuid).count() + 1
    print(
        f"{connection.vendor}: {Location.objects.current().count()} locations; district "
        f"{district.code} {district.name}: {size} locations in or below it"
    )

    def user(name: str, *extra: str):
        found, _ = User.objects.get_or_create(username=f"bench_{name}")
        found.user_permissions.set(
            Permission.objects.get(
                content_type__app_label=p.split(".")[0], codename=p.split(".")[1]
            )
            for p in (*PERMISSIONS, *extra)
        )
        return found

    restricted = user("district")
    UserDistrict.objects.get_or_create(
        user=restricted, location=district, defaults={"validity_from": "2000-01-01T00:00Z"}
    )
    clients = {}
    for name, who in (
        ("global", user("global", "location.all_districts")),
        ("district", restricted),
    ):
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(who)
        clients[name] = client

    def run(client, document):
        response = client.post(
            "/graphql", json.dumps({"query": document}), content_type="application/json"
        )
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    for label, document in DOCUMENTS.items():
        for name, client in clients.items():
            run(client, document)  # warm up
            executed = []

            def count(execute, sql, params, many, context, executed=executed):
                executed.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                data = run(client, document)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                run(client, document)
                times.append((time.perf_counter() - start) * 1000)
            total = next(iter(data.values()))["totalCount"]
            print(
                f"{label:36} {name:8} median {statistics.median(times):7.1f} ms  "
                f"best {min(times):7.1f} ms  {len(executed):2} SQL queries  totalCount {total}"
            )


if __name__ == "__main__":
    main()
