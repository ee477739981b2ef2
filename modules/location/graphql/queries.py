"""Root query fields of the location module: ``locations`` and ``location(uuid:)``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated
from uuid import UUID

import strawberry
import strawberry_django
from django.db.models.functions import Lower
from strawberry_django.optimizer import optimize

from backend.graphql.connection import CountedConnection
from backend.graphql.inputs import ValidityFilter, apply_validity, order_by_fields
from backend.graphql.permissions import HasPerm

from ..models import Location
from .filters import LocationFilter, LocationOrder, filter_locations
from .types import VIEW_PERMISSION, LocationNode


@strawberry.type
class LocationQuery:
    @strawberry_django.connection(
        CountedConnection[LocationNode],
        description=(
            "Locations, as a Relay connection (default page 100; `first`/`last` above the "
            "configured maximum is an error). Current rows unless `validity` asks otherwise."
        ),
        permission_classes=[HasPerm(VIEW_PERMISSION)],
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
            *order_by_fields(
                order_by, ("code",), {"type": Location.level_rank(), "name": Lower("name")}
            )
        )

    @strawberry_django.field(
        description="The location with this uuid (current or history version); null if none.",
        permission_classes=[HasPerm(VIEW_PERMISSION)],
    )
    def location(
        self,
        info: strawberry.Info,
        uuid: Annotated[UUID, strawberry.argument(description="The location's uuid.")],
    ) -> LocationNode | None:
        return optimize(Location.objects.filter(uuid=uuid), info).first()
