"""The payer module's contribution: ``Payer``, its queries, and ``Location.payers``."""

from backend.registry import Contribution

from .fhir import OrganizationResource
from .graphql.mutations import PayerMutation
from .graphql.queries import PayerQuery
from .graphql.types import LocationPayers, PayerNode
from .jsonapi import location_payers, payers

contribution = Contribution(
    queries=[PayerQuery],
    mutations=[PayerMutation],
    types=[PayerNode],
    extensions={"Location": [LocationPayers]},
    fhir=[OrganizationResource()],
    jsonapi=[payers],
    jsonapi_relationships=location_payers,
    keys={"Payer": "uuid"},
)
