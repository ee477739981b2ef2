"""What the location module contributes (the module contract: :mod:`backend.registry`)."""

from backend.registry import Manifest

from . import legacy, lookups, samples
from .admin import LocationAdmin
from .fhir import LocationResource
from .graphql.mutations import LocationMutation
from .graphql.queries import LocationQuery
from .graphql.types import LocationNode
from .jsonapi import locations

manifest = Manifest(
    queries=[LocationQuery],
    mutations=[LocationMutation],
    types=[LocationNode],
    keys={"Location": "uuid"},  # an entity other services reference by its uuid
    admin={"location.Location": LocationAdmin},
    fhir=[LocationResource()],
    jsonapi=[locations],
    legacy_tables=legacy.tables,
    lookups={
        "subtree": lookups.subtree,
        "subtrees": lookups.subtrees,
        "depth": lookups.depth,
        "at_depth": lookups.at_depth,
        "require_known": lookups.require_known,
        "code_of": lookups.code_of,
    },
    samples=samples.SAMPLES,
)
