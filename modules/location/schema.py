"""The location module's contribution to the composed GraphQL schema."""

from backend.registry import Contribution

from .fhir import LocationResource
from .graphql.mutations import LocationMutation
from .graphql.queries import LocationQuery
from .graphql.types import LocationNode
from .jsonapi import locations

contribution = Contribution(
    queries=[LocationQuery],
    mutations=[LocationMutation],
    types=[LocationNode],
    fhir=[LocationResource()],
    jsonapi=[locations],
    keys={"Location": "uuid"},  # an entity other services reference by its uuid
)
