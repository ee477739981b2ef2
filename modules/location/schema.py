"""GraphQL contribution of the location module: the ``Location`` type and its queries."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from enum import Enum
from typing import Annotated
from uuid import UUID

import strawberry
import strawberry_django
from django.db.models import Prefetch, Q, QuerySet
from strawberry import relay
from strawberry_django.optimizer import optimize

from backend.graphql.connection import CountedConnection
from backend.graphql.inputs import OrderDirection, ValidityFilter, apply_validity, order_by_fields
from backend.registry import Contribution

from .models import Location


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


@strawberry.enum(description="Fields locations can be ordered by.")
class LocationOrderField(Enum):
    CODE = strawberry.enum_value("code", description="Location code.")
    NAME = strawberry.enum_value("name", description="Location name.")
    TYPE = strawberry.enum_value(
        "type", description="Level: regions, districts, municipalities, villages."
    )


@strawberry.input(description="One ordering criterion for locations.")
class LocationOrder:
    field: LocationOrderField = strawberry.field(description="Field to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Sort direction."
    )


@strawberry.input(description="Location filters; all given filters must match (AND).")
class LocationFilter:
    type: LocationTypeEnum | None = strawberry.field(default=None, description="Level.")
    code: str | None = strawberry.field(
        default=None, description="Code equals this (case-insensitive)."
    )
    code_starts_with: str | None = strawberry.field(
        default=None, description="Code starts with this (case-insensitive)."
    )
    code_contains: str | None = strawberry.field(
        default=None, description="Code contains this (case-insensitive)."
    )
    name_contains: str | None = strawberry.field(
        default=None, description="Name contains this (case-insensitive)."
    )
    parent: UUID | None = strawberry.field(
        default=None, description="Direct children of the location with this uuid."
    )
    ancestor: UUID | None = strawberry.field(
        default=None,
        description="Every location below the one with this uuid, at any depth.",
    )
    search: str | None = strawberry.field(
        default=None, description="Code or name contains this (case-insensitive)."
    )


def filter_locations(queryset: QuerySet, where: LocationFilter | None) -> QuerySet:
    """Apply a :class:`LocationFilter` to a Location queryset (None: no filtering)."""
    if where is None:
        return queryset
    lookups = {
        "type": where.type.value if where.type else None,
        "code__iexact": where.code,
        "code__istartswith": where.code_starts_with,
        "code__icontains": where.code_contains,
        "name__icontains": where.name_contains,
        "parent__uuid": where.parent,
    }
    queryset = queryset.filter(**{k: v for k, v in lookups.items() if v is not None})
    if where.ancestor is not None:
        queryset = queryset.below(where.ancestor)
    if where.search:
        queryset = queryset.filter(
            Q(code__icontains=where.search) | Q(name__icontains=where.search)
        )
    return queryset


@strawberry.type
class LocationQuery:
    @strawberry_django.connection(
        CountedConnection[LocationNode],
        description=(
            "Locations, as a Relay connection (default page 100; `first`/`last` above the "
            "configured maximum is an error). Current rows unless `validity` asks otherwise."
        ),
    )
    def locations(
        self,
        filter: Annotated[
            LocationFilter | None, strawberry.argument(description="Only matching locations.")
        ] = None,
        order_by: Annotated[
            list[LocationOrder] | None,
            strawberry.argument(description="Sort criteria, in order; default: by code."),
        ] = None,
        validity: Annotated[
            ValidityFilter | None,
            strawberry.argument(description="Versions to return; default: current rows."),
        ] = None,
    ) -> Iterable[LocationNode]:
        queryset = filter_locations(apply_validity(Location.objects.all(), validity), filter)
        return queryset.order_by(
            *order_by_fields(order_by, ("code",), {"type": Location.level_rank()})
        )

    @strawberry_django.field(
        description="The location with this uuid (current or history version); null if none."
    )
    def location(
        self,
        info: strawberry.Info,
        uuid: Annotated[UUID, strawberry.argument(description="The location's uuid.")],
    ) -> LocationNode | None:
        return optimize(Location.objects.filter(uuid=uuid), info).first()


contribution = Contribution(queries=[LocationQuery], types=[LocationNode])
