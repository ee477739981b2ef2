"""What the location module contributes (the module contract: :mod:`backend.registry`)."""

from backend.registry import Manifest, Placement

from . import legacy, lookups, samples
from .admin import LocationAdmin, UserDistrictAdmin
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
    admin={"location.Location": LocationAdmin, "location.UserDistrict": UserDistrictAdmin},
    # district rights: a location is placed by its own position in the tree
    placement={"location.Location": Placement("parent", node=True)},
    fhir=[LocationResource()],
    jsonapi=[locations],
    legacy_tables=legacy.tables,
    lookups={
        "subtree": lookups.subtree,
        "subtree_at": lookups.subtree_at,
        "subtrees": lookups.subtrees,
        "depth": lookups.depth,
        "at_depth": lookups.at_depth,
        "require_known": lookups.require_known,
        "code_of": lookups.code_of,
        "in_scope_of": lookups.in_scope_of,
    },
    samples=samples.SAMPLES,
)
