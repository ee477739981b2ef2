"""Root query fields of the location module: ``locations`` and ``location(uuid:)``."""

from __future__ import annotations

import strawberry
from django.db.models.functions import Lower

from backend.graphql.inputs import Sort
from backend.graphql.queries import versioned_by_uuid, versioned_connection

from ..models import Location
from .filters import LocationFilter, LocationOrder, filter_locations
from .types import LocationNode


@strawberry.type
class LocationQuery:
    locations = versioned_connection(
        LocationNode,
        Location,
        filter_input=LocationFilter,
        order_input=LocationOrder,
        apply=filter_locations,
        plural="locations",
        default_order=("code",),
        order_expressions={"type": Sort(by=Location.level_rank), "name": Sort(by=Lower)},
        default_order_name="code",
    )
    location = versioned_by_uuid(LocationNode, Location, singular="location")
