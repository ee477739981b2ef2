"""What the generated tests need from the facility module (``Manifest.samples``)."""

from backend.registry import Samples

from .models import HealthFacility

VIEW = "facility.view_healthfacility"


def world(ids) -> None:
    """One facility at the location module's sample district ``d1``."""
    pk, key = ids("hf1")
    HealthFacility.objects.create(
        pk=pk, uuid=key, code="HF1", name="Rapta Health Centre", location_id=ids("d1")[0]
    )


SAMPLES = Samples(
    names={"hf1": "HealthFacility"},
    world=world,
    queries={
        "healthFacilities": (
            "{ healthFacilities { edges { node { code } } } }",
            {"healthFacilities": VIEW},
            {"healthFacilities": {"edges": [{"node": {"code": "HF1"}}]}},
        ),
        "node(HealthFacility)": (
            '{ node(id: "{hf1_id}") { id ... on HealthFacility { code } } }',
            {"node": VIEW},
            {"node": {"id": "{hf1_id}", "code": "HF1"}},
        ),
        "Location.healthFacilities": (
            '{ location(uuid: "{d1}") { code healthFacilities { code } } }',
            {"location": "{view:Location}", "location.healthFacilities": VIEW},
            {"location": {"code": "R1D1", "healthFacilities": [{"code": "HF1"}]}},
        ),
        "HealthFacility.location": (
            '{ node(id: "{hf1_id}") { ... on HealthFacility { location { code } } } }',
            {"node": VIEW, "node.location": "{view:Location}"},
            {"node": {"location": {"code": "R1D1"}}},
        ),
    },
    fuzz={
        "healthFacilities": ("{ totalCount edges { node { uuid } } }", {"location": "{r1}"}),
    },
)
