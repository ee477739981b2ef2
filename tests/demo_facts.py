"""Facts the openIMIS demo database must show after ``import_legacy``, as GraphQL checks.

Source of the facts: ``tests/data/openimis-demo/README.md``. Used by
``tests/test_demo_facts.py`` (through Django's test client) and by ``.ci/run`` against
a live server on PostgreSQL::

    GRAPHQL_TOKEN=<OAuth2 access token> python -m tests.demo_facts http://127.0.0.1:8765/graphql
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from collections.abc import Callable

ULTHA_UUID = "75250515-40d7-4c77-bafe-a2c65ffc5a72"
COFFEE_ADDRESS = "HR Manager\nCoffee Farmers Association\nHolobo 29\nP.B. Box 128\nJambero, Ultha\n"

#: (description, GraphQL document, expected ``data``)
FACTS: list[tuple[str, str, object]] = [
    (
        "the current regions are exactly R1 Ultha and R2 Tahida",
        "{ locations(filter: {type: REGION}) { edges { node { code name } } } }",
        {
            "locations": {
                "edges": [
                    {"node": {"code": "R1", "name": "Ultha"}},
                    {"node": {"code": "R2", "name": "Tahida"}},
                ]
            }
        },
    ),
    (
        "there are 14 current villages",
        "{ locations(filter: {type: VILLAGE}) { totalCount } }",
        {"locations": {"totalCount": 14}},
    ),
    (
        f"location(uuid: {ULTHA_UUID}) is Ultha",
        f'{{ location(uuid: "{ULTHA_UUID}") {{ code name type validityTo }} }}',
        {"location": {"code": "R1", "name": "Ultha", "type": "REGION", "validityTo": None}},
    ),
    (
        "R1D1 Rapta's payers are exactly [Coffee Farmers Association], address intact",
        '{ locations(filter: {code: "R1D1"}) { edges { node { name payers { name type address '
        "phone location { code } } } } } }",
        {
            "locations": {
                "edges": [
                    {
                        "node": {
                            "name": "Rapta",
                            "payers": [
                                {
                                    "name": "Coffee Farmers Association",
                                    "type": "COOPERATIVE",
                                    "address": COFFEE_ADDRESS,
                                    "phone": "+2552127867576",
                                    "location": {"code": "R1D1"},
                                }
                            ],
                        }
                    }
                ]
            }
        },
    ),
    (
        "history rows appear only when asked for: 31 current, 53 with history",
        "{ current: locations { totalCount } all: locations(validity: {includeHistory: true}) "
        "{ totalCount } payers { totalCount } allPayers: payers(validity: {includeHistory: true})"
        " { totalCount } }",
        {
            "current": {"totalCount": 31},
            "all": {"totalCount": 53},
            "payers": {"totalCount": 1},
            "allPayers": {"totalCount": 2},
        },
    ),
    (
        "the ancestor filter on R1 Ultha with type VILLAGE returns its 12 villages",
        f'{{ locations(filter: {{ancestor: "{ULTHA_UUID}", type: VILLAGE}}) {{ totalCount }} }}',
        {"locations": {"totalCount": 12}},
    ),
]


def check(post: Callable[[str], dict]) -> list[str]:
    """Run every fact through ``post`` (document -> response JSON); return the failures."""
    failures = []
    for description, document, expected in FACTS:
        response = post(document)
        if response.get("errors") or response.get("data") != expected:
            failures.append(f"{description}: got {json.dumps(response)[:600]}")
    return failures


def _post_http(url: str) -> Callable[[str], dict]:
    def post(document: str) -> dict:
        request = urllib.request.Request(
            url,
            data=json.dumps({"query": document}).encode(),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {os.environ.get('GRAPHQL_TOKEN', '')}",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    return post


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: GRAPHQL_TOKEN=... python -m tests.demo_facts GRAPHQL_URL", file=sys.stderr)
        return 2
    failures = check(_post_http(argv[0]))
    for line in failures:
        print(f"FAILED {line}")
    print(f"{len(FACTS) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
