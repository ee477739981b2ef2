"""Writes of the location module on its sample world, shared by the tests that ask who
may make them (district rights, the upper-level right).

The world (``modules/location/samples.py``): R1 Ultha > R1D1 Rapta (d1) > R1D1W1 Achi
(w1) > R1D1W1V1 Rachla (v1); R2 Tahida > R2D1 Rajo (d2). Each write is a mutation name
and its input's fields, with the sample placeholders (``{d1}``) that
:func:`tests.samples.fill` replaces; a test row is ``(*WRITE, outcome)``.
"""

from __future__ import annotations

RENAME_W1 = ("updateLocation", 'uuid: "{w1}", name: "Achi Thom"')
RENAME_D1 = ("updateLocation", 'uuid: "{d1}", name: "Rapta Thom"')
RENAME_R1 = ("updateLocation", 'uuid: "{r1}", name: "Ultha Thom"')
CREATE_MUNICIPALITY_IN_D1 = (
    "createLocation",
    'code: "R1D1W2", name: "Boeng", type: MUNICIPALITY, parent: "{d1}"',
)
CREATE_DISTRICT_IN_R1 = (
    "createLocation",
    'code: "R1D2", name: "Tarak", type: DISTRICT, parent: "{r1}"',
)
CREATE_REGION = ("createLocation", 'code: "R3", name: "Kampot", type: REGION')
MOVE_W1_TO_D2 = ("moveLocation", 'uuid: "{w1}", parent: "{d2}"')
MOVE_D1_TO_R2 = ("moveLocation", 'uuid: "{d1}", parent: "{r2}"')
DELETE_V1 = ("deleteLocation", 'uuid: "{v1}"')
