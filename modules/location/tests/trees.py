"""Trees of test locations, written as codes: the location tests' and the cross-module
tests' shared fixture builder.

A code names its place: its last letter and number are its level (R region, D district,
W or M municipality, V village) and what comes before is its parent's code (``R1D1W1``
is a municipality below the district ``R1D1``). Every code has one name, from
:data:`NAMES`, so one code means one place in every test.
"""

from __future__ import annotations

import re

from modules.location.models import Location

NAMES = {
    "R1": "Ultha", "R1D1": "Rapta", "R1D1W1": "Achi", "R1D1W1V1": "Rachla",
    "R1D1W1V2": "Darbu", "R1D1M1": "Achi", "R1D1M1V1": "Rachla", "R1D1M1V2": "Darbu",
    "R1D2": "Tarak", "R2": "Tahida", "R2D1": "Rajo", "R2D1M1": "Jaber", "R2D1M1V1": "Utha",
}  # fmt: skip
LEVELS = {"R": "R", "D": "D", "W": "W", "M": "W", "V": "V"}
STEP = re.compile(r"([RDWMV])\d+$")


def create_tree(spec: str) -> dict[str, Location]:
    """Create current locations from ``spec``, space-separated ``key=code`` items,
    parents before children, in that order (so their ids follow it); returns key ->
    :class:`Location`."""
    created: dict[str, Location] = {}
    by_code: dict[str, Location] = {}
    for item in spec.split():
        key, code = item.split("=")
        step = STEP.search(code)
        parent = by_code[code[: step.start()]] if step.start() else None
        name = NAMES[code]
        by_code[code] = created[key] = Location.objects.create(
            code=code, name=name, type=LEVELS[step.group(1)], parent=parent
        )
    return created
