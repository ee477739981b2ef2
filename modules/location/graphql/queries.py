"""Root query fields of the location module: ``locations`` and ``location(uuid:)``."""

from __future__ import annotations

import strawberry

from backend.graphql.queries import versioned_by_uuid, versioned_connection

from .filters import LocationFilter, LocationOrderField
from .types import LocationNode


@strawberry.type
class LocationQuery:
    locations = versioned_connection(
        LocationNode,
        plural="locations",
        filter_input=LocationFilter,
        order_fields=LocationOrderField,
        default_order=("code",),
    )
    location = versioned_by_uuid(LocationNode, singular="location")
