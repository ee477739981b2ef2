"""GraphQL types of the location module: ``Location`` and the ``LocationType`` enum."""

from __future__ import annotations

import datetime
from enum import Enum
from uuid import UUID

import strawberry
import strawberry_django
from django.db.models import Prefetch
from strawberry import relay
from strawberry_django.optimizer import optimize

from ..models import Location


@strawberry.enum(name="LocationType", description="Level of a location (legacy code R/D/W/V).")
class LocationTypeEnum(Enum):
    REGION = strawberry.enum_value("R", description="Region (R), the top level.")
    DISTRICT = strawberry.enum_value("D", description="District (D), below a region.")
    MUNICIPALITY = strawberry.enum_value(
        "W", description="Municipality or ward (W), below a district."
    )
    VILLAGE = strawberry.enum_value("V", description="Village (V), below a municipality.")


def _current_children(info: strawberry.Info) -> Prefetch:
    queryset = Location.objects.current().order_by("code", "pk")
    return Prefetch("children", queryset=optimize(queryset, info), to_attr="current_children")


@strawberry_django.type(
    Location,
    name="Location",
    description=(
        "A location of the openIMIS hierarchy (tblLocations): region > district > "
        "municipality > village. One row per version; validityTo null marks the current one."
    ),
)
class LocationNode(relay.Node):
    uuid: UUID = strawberry_django.field(description="Stable external identifier.")
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
    validity_from: datetime.datetime = strawberry_django.field(
        description="Start of this version's validity."
    )
    validity_to: datetime.datetime | None = strawberry_django.field(
        description="End of this version's validity; null for the current version."
    )

    @strawberry_django.field(
        description="Current locations one level down, ordered by code.",
        prefetch_related=[_current_children],
    )
    def children(self, root: Location) -> list[LocationNode]:
        prefetched = getattr(root, "current_children", None)
        if prefetched is None:  # the instance did not come through the optimizer
            return list(Location.objects.current().filter(parent=root).order_by("code", "pk"))
        return prefetched
