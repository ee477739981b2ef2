"""What the facility module contributes (the module contract: backend/registry.py)."""

from backend.registry import Manifest, Placement

from . import guards, samples
from .graphql import FacilityQuery, HealthFacilityNode, LocationFacilities

manifest = Manifest(
    requires=["location"],
    queries=[FacilityQuery],
    types=[HealthFacilityNode],
    extensions={"Location": [LocationFacilities]},
    keys={"HealthFacility": "uuid"},
    delete_guards={"location.Location": guards.refuse_location_delete},
    placement={"facility.HealthFacility": Placement("location")},  # district rights
    samples=samples.SAMPLES,
)
