"""GraphQL of the facility module: ``HealthFacility``, ``healthFacilities`` and the field
it adds to the location module's type, ``Location.healthFacilities``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated
from uuid import UUID

import strawberry
import strawberry_django

from backend.graphql.connection import CountedConnection
from backend.graphql.permissions import GuardedNode, HasPerm, current_user
from backend.graphql.relations import prefetched_connection, prefetched_list
from backend.graphql.versioned import current_rows, versioned_type
from backend.registry import lookup, ref
from backend.rights import readable

from .models import HealthFacility

VIEW_PERMISSION = "facility.view_healthfacility"


# The core adds uuid, the version fields (validityFrom …) and the history fields.
@versioned_type(HealthFacility, description="A health facility (tblHF).")
class HealthFacilityNode(GuardedNode):
    view_permission = VIEW_PERMISSION

    code: str = strawberry_django.field(description="Facility code.")
    name: str = strawberry_django.field(description="Facility name.")
    # A Location: the core guards it with the location module's view permission; nullable,
    # so that a caller without that permission gets null and an error, not a null parent.
    location: ref("Location") | None = strawberry_django.field(
        description="Where the facility is (null without the permission to view locations)."
    )


@strawberry.type
class FacilityQuery:
    @strawberry_django.connection(
        CountedConnection[HealthFacilityNode],
        description="Current health facilities, by code.",
        permission_classes=[HasPerm(VIEW_PERMISSION)],
    )
    def health_facilities(
        self,
        info: strawberry.Info,
        location: Annotated[
            UUID | None,
            strawberry.argument(description="Only those at or below this location."),
        ] = None,
    ) -> Iterable[HealthFacilityNode]:
        user = current_user(info)
        # a location named by uuid, as the user sees it (the core rule, through the
        # location module's lookup): without the permission to view locations a refusal
        # naming it, whatever the uuid; one outside the districts an unknown uuid
        lookup("location.require_known")(
            {"location": [location]}, user, action="filter health facilities by location"
        )
        # district rights: only the facilities in or below the user's districts
        facilities = readable(HealthFacility.objects.current(), user)
        if location is not None:
            facilities = facilities.filter(lookup("location.subtree")("location", location))
        return facilities.order_by("code", "pk")


@strawberry.type(description="Fields the facility module adds to Location.")
class LocationFacilities:
    health_facilities: list[HealthFacilityNode] | None = prefetched_list(
        "health_facilities",
        current_rows(HealthFacility, "code"),
        description="Current health facilities at this location (facility module).",
    )
    health_facilities_connection: CountedConnection[HealthFacilityNode] | None = (
        prefetched_connection(
            "health_facilities",
            current_rows(HealthFacility, "code"),
            description="The same, as a Relay connection (first/after, totalCount).",
        )
    )
