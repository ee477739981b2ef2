"""What the generated tests need from the payer module (``Manifest.samples``).

The world: the payer Ultha co-op at the location module's sample region ``r1`` (and its
history row Old co-op), Rapta fund at its district ``d1``, Rajo fund at ``d2``, National
fund at no location (the rows of the district rights' matrix); the location module's
world is created first (``requires``).
"""

from backend.registry import Samples

from .models import Payer

PV, PA, PC, PD = (f"payer.{p}_payer" for p in ("view", "add", "change", "delete"))
ERRORS = "errors { field code message }"


def world(ids) -> None:
    """Create the sample payers with the ids ``ids(name) -> (pk, uuid)`` gives."""
    coop_pk, coop_key = ids("coop")
    Payer.objects.create(
        pk=coop_pk, uuid=coop_key, name="Ultha co-op", type="C", location_id=ids("r1")[0],
        phone="",
    )  # fmt: skip
    old_pk, old_key = ids("old_coop")
    Payer.objects.create(
        pk=old_pk, uuid=old_key, name="Old co-op", type="C", location_id=ids("r1")[0], phone="",
        validity_to="2020-01-01T00:00:00Z", legacy_id=coop_pk,
    )  # fmt: skip
    for name, label, place in (
        ("fund_d1", "Rapta fund", "d1"),
        ("fund_d2", "Rajo fund", "d2"),
        ("national", "National fund", None),
    ):
        pk, key = ids(name)
        location_id = ids(place)[0] if place else None
        Payer.objects.create(pk=pk, uuid=key, name=label, type="D", location_id=location_id)


SAMPLES = Samples(
    names={n: "Payer" for n in ("coop", "old_coop", "fund_d1", "fund_d2", "national")},
    world=world,
    queries={
        "node(Payer)": (
            '{ node(id: "{coop_id}") { id ... on Payer { name } } }',
            {"node": PV},
            {"node": {"id": "{coop_id}", "name": "Ultha co-op"}},
        ),
        "payers": (
            "{ payers { edges { node { name } } } }",
            {"payers": PV},
            {
                "payers": {
                    "edges": [
                        {"node": {"name": n}}
                        for n in ("National fund", "Rajo fund", "Rapta fund", "Ultha co-op")
                    ]
                }
            },
        ),
        "payer": (
            '{ payer(uuid: "{coop}") { name } }',
            {"payer": PV},
            {"payer": {"name": "Ultha co-op"}},
        ),
        "Location.payers": (
            '{ location(uuid: "{r1}") { code payers { name } } }',
            {"location": "{view:Location}", "location.payers": PV},
            {"location": {"code": "R1", "payers": [{"name": "Ultha co-op"}]}},
        ),
        "Payer.location": (
            '{ payer(uuid: "{coop}") { name location { code } } }',
            {"payer": PV, "payer.location": "{view:Location}"},
            {"payer": {"name": "Ultha co-op", "location": {"code": "R1"}}},
        ),
        "Payer.history": (
            '{ payer(uuid: "{coop}") { name history { name } } }',
            {"payer": PV},
            {"payer": {"name": "Ultha co-op", "history": [{"name": "Old co-op"}]}},
        ),
    },
    mutations={
        "createPayer": (
            'mutation { createPayer(input: {name: "Tahida fund", type: DONOR, location: "{r2}"}) '
            "{ payer { name type location { code } } " + ERRORS + " } }",
            PA,
            {
                "payer": {"name": "Tahida fund", "type": "DONOR", "location": {"code": "R2"}},
                "errors": [],
            },
        ),
        "updatePayer": (
            'mutation { updatePayer(input: {uuid: "{coop}", phone: "+855 12 345"}) '
            "{ payer { name phone } " + ERRORS + " } }",
            PC,
            {"payer": {"name": "Ultha co-op", "phone": "+855 12 345"}, "errors": []},
        ),
        "deletePayer": (
            'mutation { deletePayer(input: {uuid: "{coop}"}) { payer { name } ' + ERRORS + " } }",
            PD,
            {"payer": {"name": "Ultha co-op"}, "errors": []},
        ),
        "deletePayers": (
            'mutation { deletePayers(input: {uuids: ["{coop}"]}) { payers { name } '
            + ERRORS
            + " } }",
            PD,
            {"payers": [{"name": "Ultha co-op"}], "errors": []},
        ),
    },
    fuzz={
        "payers": ("{ totalCount edges { node { uuid } } }", {}),
        "payer": ("{ uuid }", {"uuid": "{coop}"}),
        "createPayer": (
            f"{{ payer {{ uuid }} {ERRORS} }}",
            {"input": {"name": "Tahida fund", "type": "DONOR", "location": "{r2}"}},
        ),
        "updatePayer": (
            f"{{ payer {{ uuid }} {ERRORS} }}",
            {"input": {"uuid": "{coop}", "name": "Co-op 2"}},
        ),
        "deletePayer": (f"{{ payer {{ uuid }} {ERRORS} }}", {"input": {"uuid": "{coop}"}}),
        "deletePayers": (f"{{ payers {{ uuid }} {ERRORS} }}", {"input": {"uuids": ["{coop}"]}}),
    },
    text_limits={
        (root, field): limit
        for root in ("createPayer", "updatePayer")
        for field, limit in {
            "name": 100,
            "address": 100,
            "phone": 50,
            "fax": 50,
            "email": 50,
        }.items()
    },
    required_by_rules=[("updatePayer", "name", "coop"), ("updatePayer", "type", "coop")],
)
