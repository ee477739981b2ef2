"""Root query fields of the payer module: ``payers`` and ``payer(uuid:)``."""

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

from ..models import Payer
from .filters import PayerFilter, PayerOrder, filter_payers
from .types import VIEW_PERMISSION, PayerNode


@strawberry.type
class PayerQuery:
    @strawberry_django.connection(
        CountedConnection[PayerNode],
        description=(
            "Payers, as a Relay connection (default page 100; `first`/`last` above the "
            "configured maximum is an error). Current rows unless `validity` asks otherwise."
        ),
        permission_classes=[HasPerm(VIEW_PERMISSION)],
    )
    def payers(
        self,
        filter: Annotated[
            PayerFilter | None, strawberry.argument(description="Only matching payers.")
        ] = None,
        order_by: Annotated[
            list[PayerOrder] | None,
            strawberry.argument(description="Sort criteria, in order; default: by name."),
        ] = None,
        validity: Annotated[
            ValidityFilter | None,
            strawberry.argument(description="Versions to return; default: current rows."),
        ] = None,
    ) -> Iterable[PayerNode]:
        queryset = filter_payers(apply_validity(Payer.objects.all(), validity), filter)
        by_name = Lower("name")  # case-insensitive, as people read names
        return queryset.order_by(*order_by_fields(order_by, (by_name,), {"name": by_name}))

    @strawberry_django.field(
        description="The payer with this uuid (current or history version); null if none.",
        permission_classes=[HasPerm(VIEW_PERMISSION)],
    )
    def payer(
        self,
        info: strawberry.Info,
        uuid: Annotated[UUID, strawberry.argument(description="The payer's uuid.")],
    ) -> PayerNode | None:
        return optimize(Payer.objects.filter(uuid=uuid), info).first()
