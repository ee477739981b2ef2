"""GraphQL types of the location module: ``Location`` and the ``LocationType`` enum."""

from __future__ import annotations

from enum import Enum

import strawberry
import strawberry_django

from backend.graphql.connection import CountedConnection
from backend.graphql.permissions import GuardedNode
from backend.graphql.queries import related_count
from backend.graphql.relations import prefetched_connection, prefetched_list
from backend.graphql.versioned import current_rows, versioned_type

from ..models import Location

VIEW_PERMISSION = "location.view_location"


@strawberry.enum(name="LocationType", description="Level of a location (legacy code R/D/W/V).")
class LocationTypeEnum(Enum):
    REGION = strawberry.enum_value("R", description="Region (R), the top level.")
    DISTRICT = strawberry.enum_value("D", description="District (D), below a region.")
    MUNICIPALITY = strawberry.enum_value(
        "W", description="Municipality or ward (W), below a district."
    )
    VILLAGE = strawberry.enum_value("V", description="Village (V), below a municipality.")


@versioned_type(
    Location,
    description=(
        "A location of the openIMIS hierarchy (tblLocations): region > district > "
        "municipality > village. One row per version; validityTo null marks the current one."
    ),
    history_description=(
        "Earlier versions of this location, newest first (empty on a history row). "
        "Each keeps the values it had until its validityTo."
    ),
)
class LocationNode(GuardedNode):
    view_permission = VIEW_PERMISSION

    code: str = strawberry_django.field(description="Location code, at most 8 characters.")
    name: str = strawberry_django.field(description="Location name, at most 50 characters.")
    type: LocationTypeEnum = strawberry_django.field(description="Level in the hierarchy.")
    parent: LocationNode | None = strawberry_django.field(
        description="The location one level up; null for a region."
    )
    male_population: int | None = strawberry_django.field(description="Male population.")
    female_population: int | None = strawberry_django.field(description="Female population.")
    other_population: int | None = strawberry_django.field(description="Other population.")
    families: int | None = strawberry_django.field(description="Number of families.")
    children: list[LocationNode] = prefetched_list(
        "children",
        current_rows(Location, "code"),
        description="Current locations one level down, ordered by code.",
    )
    children_connection: CountedConnection[LocationNode] = prefetched_connection(
        "children",
        current_rows(Location, "code"),
        description=(
            "Current locations one level down, ordered by code, as a Relay connection "
            "(first/after, totalCount, keyset cursors)."
        ),
    )
    children_count: int = related_count(
        "children_count",
        lambda: Location.objects.current(),
        "parent",
        description="Number of current locations one level down.",
    )
