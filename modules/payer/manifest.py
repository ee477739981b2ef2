"""What the payer module contributes (the module contract: :mod:`backend.registry`).

It adds ``payers`` to the location module's ``Location`` type and guards location
deletes, naming the location module only by labels (``"Location"``, ``"location.Location"``).
"""

from backend.registry import Manifest, Placement

from . import legacy, samples, services
from .admin import PayerAdmin
from .fhir import OrganizationResource
from .graphql.mutations import PayerMutation
from .graphql.queries import PayerQuery
from .graphql.types import LocationPayers, PayerNode
from .jsonapi import location_payers, payers

manifest = Manifest(
    requires=["location"],
    queries=[PayerQuery],
    mutations=[PayerMutation],
    types=[PayerNode],
    extensions={"Location": [LocationPayers]},
    keys={"Payer": "uuid"},
    admin={"payer.Payer": PayerAdmin},
    placement={"payer.Payer": Placement("location")},  # district rights: at its location
    fhir=[OrganizationResource()],
    jsonapi=[payers],
    jsonapi_relationships=location_payers,
    legacy_tables=legacy.tables,
    delete_handlers={"location.Location": services.location_delete_handler},
    samples=samples.SAMPLES,
)
