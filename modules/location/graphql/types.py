"""GraphQL types of the location module: ``Location`` and the ``LocationType`` enum."""

from __future__ import annotations

from enum import Enum
from typing import Any

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


def _viewer_can(name: str, permission: str, what: str, *, under: bool = False) -> Any:
    """A ``viewerCan…`` field of locations (:func:`backend.graphql.queries.viewer_can`):
    may the caller ``what`` now, by ``permission`` and the level rule
    (:func:`..services.allowed_levels`, ``under``: of a new location below)."""
    return viewer_can(
        name,
        Location,
        lambda may: allowed_levels(may, permission, under=under),
        description=(
            f"Whether the caller may {what} now: a current row, {permission} (and "
            "location.manage_upper_levels when "
            f"{'the new location' if under else 'it'} is a region or district), in or "
            "below the caller's districts."
        ),
    )


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
    viewer_can_change: bool = _viewer_can(
        "viewer_can_change",
        "location.change_location",
        "rename or move this location (updateLocation, moveLocation)",
    )
    viewer_can_delete: bool = _viewer_can(
        "viewer_can_delete", "location.delete_location", "delete this location (deleteLocation)"
    )
    viewer_can_add_child: bool = _viewer_can(
        "viewer_can_add_child",
        "location.add_location",
        "create a location one level down here (createLocation with this parent; none "
        "under a village)",
        under=True,
    )
    children_count: int = related_count(
        "children_count",
        lambda: Location.objects.current(),
        "parent",
        description="Number of current locations one level down.",
    )
