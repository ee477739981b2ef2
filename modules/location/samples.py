"""What the generated tests need from the location module (``Manifest.samples``).

The world: R1 Ultha (and its history row Old Ultha) > R1D1 Rapta > R1D1W1 Achi >
R1D1W1V1 Rachla; R2 Tahida > R2D1 Rajo.
"""

from backend.registry import Samples

from .models import Location

LV, LA, LC, LD = (f"location.{p}_location" for p in ("view", "add", "change", "delete"))
ERRORS = "errors { field code message }"


def world(ids) -> None:
    """Create the sample locations with the ids ``ids(name) -> (pk, uuid)`` gives."""

    def location(name, code, label, type_, parent=None, **extra):
        pk, key = ids(name)
        parent_pk = ids(parent)[0] if parent else None
        Location.objects.create(
            pk=pk, uuid=key, code=code, name=label, type=type_, parent_id=parent_pk, **extra
        )

    location("r1", "R1", "Ultha", "R")
    location("old_r1", "R1", "Old Ultha", "R", validity_to="2020-01-01T00:00:00Z",
             legacy_id=ids("r1")[0])  # fmt: skip
    location("d1", "R1D1", "Rapta", "D", "r1")
    location("w1", "R1D1W1", "Achi", "W", "d1")
    location("v1", "R1D1W1V1", "Rachla", "V", "w1", families=12)
    location("r2", "R2", "Tahida", "R")
    location("d2", "R2D1", "Rajo", "D", "r2")


SAMPLES = Samples(
    names={n: "Location" for n in ("r1", "old_r1", "d1", "w1", "v1", "r2", "d2")},
    world=world,
    queries={
        "locations": (
            '{ locations(filter: {code: "R1"}) { edges { node { code name } } } }',
            {"locations": LV},
            {"locations": {"edges": [{"node": {"code": "R1", "name": "Ultha"}}]}},
        ),
        "location": (
            '{ location(uuid: "{r1}") { code name } }',
            {"location": LV},
            {"location": {"code": "R1", "name": "Ultha"}},
        ),
        "node(Location)": (
            '{ node(id: "{r1_id}") { id ... on Location { code } } }',
            {"node": LV},
            {"node": {"id": "{r1_id}", "code": "R1"}},
        ),
        "Location.history": (
            '{ location(uuid: "{r1}") { code history { name } } }',
            {"location": LV},
            {"location": {"code": "R1", "history": [{"name": "Old Ultha"}]}},
        ),
    },
    mutations={
        "createLocation": (
            'mutation { createLocation(input: {code: "R1D1W2", name: "Boeng", '
            'type: MUNICIPALITY, parent: "{d1}"}) { location { code name type parent { code } } '
            + ERRORS
            + " } }",
            LA,
            {
                "location": {
                    "code": "R1D1W2",
                    "name": "Boeng",
                    "type": "MUNICIPALITY",
                    "parent": {"code": "R1D1"},
                },
                "errors": [],
            },
        ),
        "updateLocation": (
            'mutation { updateLocation(input: {uuid: "{w1}", name: "Achi Thom"}) '
            "{ location { code name } " + ERRORS + " } }",
            LC,
            {"location": {"code": "R1D1W1", "name": "Achi Thom"}, "errors": []},
        ),
        "moveLocation": (
            'mutation { moveLocation(input: {uuid: "{w1}", parent: "{d2}"}) '
            "{ location { code parent { code } } " + ERRORS + " } }",
            LC,
            {"location": {"code": "R1D1W1", "parent": {"code": "R2D1"}}, "errors": []},
        ),
        "deleteLocation": (
            'mutation { deleteLocation(input: {uuid: "{v1}"}) { location { code } '
            + ERRORS
            + " } }",
            LD,
            {"location": {"code": "R1D1W1V1"}, "errors": []},
        ),
    },
    fuzz={
        "locations": ("{ totalCount edges { node { uuid } } }", {}),
        "location": ("{ uuid }", {"uuid": "{r1}"}),
        "createLocation": (
            f"{{ location {{ uuid }} {ERRORS} }}",
            {
                "input": {
                    "code": "R1D1W9",
                    "name": "Boeng",
                    "type": "MUNICIPALITY",
                    "parent": "{d1}",
                }
            },
        ),
        "updateLocation": (
            f"{{ location {{ uuid }} {ERRORS} }}",
            {"input": {"uuid": "{w1}", "name": "Achi 2"}},
        ),
        "moveLocation": (
            f"{{ location {{ uuid }} {ERRORS} }}",
            {"input": {"uuid": "{w1}", "parent": "{d2}"}},
        ),
        "deleteLocation": (f"{{ location {{ uuid }} {ERRORS} }}", {"input": {"uuid": "{v1}"}}),
    },
    text_limits={
        ("createLocation", "code"): 8,
        ("createLocation", "name"): 50,
        ("updateLocation", "code"): 8,
        ("updateLocation", "name"): 50,
    },
    required_by_rules=[
        ("updateLocation", "code", "w1"),
        ("updateLocation", "name", "r1"),
        ("updateLocation", "type", "w1"),
        ("updateLocation", "type", "r1"),
    ],
)
