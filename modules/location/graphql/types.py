"""GraphQL types of the location module: ``Location`` and the ``LocationType`` enum."""

from __future__ import annotations

from enum import Enum

import strawberry
import strawberry_django

from backend.graphql.connection import CountedConnection
from backend.graphql.permissions import GuardedNode
from backend.graphql.queries import related_count, viewer_can
from backend.graphql.relations import prefetched_connection, prefetched_list
from backend.graphql.versioned import current_rows, versioned_type

from ..models import Location
from ..services import allowed_levels

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
    viewer_can_change: bool = viewer_can(
        "viewer_can_change",
        Location,
        lambda may: allowed_levels(may, "location.change_location"),
        description=(
            "Whether the caller may rename or move this location now (updateLocation, "
            "moveLocation): a current row, location.change_location (and "
            "location.manage_upper_levels for a region or district), in or below the caller's "
            "districts."
        ),
    )
    viewer_can_delete: bool = viewer_can(
        "viewer_can_delete",
        Location,
        lambda may: allowed_levels(may, "location.delete_location"),
        description=(
            "Whether the caller may delete this location now (deleteLocation): a current row, "
            "location.delete_location (and location.manage_upper_levels for a region or "
            "district), in or below the caller's districts."
        ),
    )
    viewer_can_add_child: bool = viewer_can(
        "viewer_can_add_child",
        Location,
        lambda may: allowed_levels(may, "location.add_location", under=True),
        description=(
            "Whether the caller may create a location one level down here now (createLocation "
            "with this parent): a current row above the villages, location.add_location "
            "(and location.manage_upper_levels for a district under a region), in or "
            "below the caller's districts."
        ),
    )
    children_count: int = related_count(
        "children_count",
        lambda: Location.objects.current(),
        "parent",
        description="Number of current locations one level down.",
    )
