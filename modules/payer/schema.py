"""GraphQL contribution of the payer module: ``Payer``, its queries, ``Location.payers``.

The location type is named by its GraphQL name through the core registry (``ref``);
this module never imports the location module.
"""

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
from backend.registry import Contribution, ref

from .models import Payer


@strawberry.enum(name="PayerType", description="Kind of payer (legacy code C/D/G/L/O/P).")
class PayerTypeEnum(Enum):
    COOPERATIVE = strawberry.enum_value("C", description="Co-operative (C).")
    DONOR = strawberry.enum_value("D", description="Donor (D).")
    GOVERNMENT = strawberry.enum_value("G", description="Government (G).")
    LOCAL_AUTHORITY = strawberry.enum_value("L", description="Local authority (L).")
    OTHER = strawberry.enum_value("O", description="Other (O).")
    PRIVATE_ORGANIZATION = strawberry.enum_value("P", description="Private organization (P).")


@strawberry_django.type(
    Payer,
    name="Payer",
    description=(
        "A payer of contributions (tblPayer): a co-operative, donor, government body, "
        "local authority or other organisation. One row per version."
    ),
)
class PayerNode(relay.Node):
    uuid: UUID = strawberry_django.field(description="Stable external identifier.")
    name: str = strawberry_django.field(description="Payer name, at most 100 characters.")
    type: PayerTypeEnum = strawberry_django.field(description="Kind of payer.")
    address: str | None = strawberry_django.field(
        description="Postal address, line breaks kept, at most 100 characters."
    )
    phone: str | None = strawberry_django.field(description="Phone number.")
    fax: str | None = strawberry_django.field(description="Fax number.")
    email: str | None = strawberry_django.field(description="E-mail address.")
    location: ref("Location") | None = strawberry_django.field(
        description="The region or district the payer belongs to."
    )
    validity_from: datetime.datetime = strawberry_django.field(
        description="Start of this version's validity."
    )
    validity_to: datetime.datetime | None = strawberry_django.field(
        description="End of this version's validity; null for the current version."
    )


def _current_payers(info: strawberry.Info) -> Prefetch:
    queryset = Payer.objects.current().order_by("name", "pk")
    return Prefetch("payers", queryset=optimize(queryset, info), to_attr="current_payers")


@strawberry.type(description="Fields the payer module adds to Location.")
class LocationPayers:
    @strawberry_django.field(
        description="Current payers at this location, ordered by name (payer module).",
        prefetch_related=[_current_payers],
    )
    def payers(self, root: strawberry.Parent[object]) -> list[PayerNode]:
        prefetched = getattr(root, "current_payers", None)
        if prefetched is None:  # the instance did not come through the optimizer
            return list(Payer.objects.current().filter(location=root).order_by("name", "pk"))
        return prefetched


@strawberry.enum(description="Fields payers can be ordered by.")
class PayerOrderField(Enum):
    NAME = strawberry.enum_value("name", description="Payer name.")
    TYPE = strawberry.enum_value("type", description="Payer type code.")


@strawberry.input(description="One ordering criterion for payers.")
class PayerOrder:
    field: PayerOrderField = strawberry.field(description="Field to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Sort direction."
    )


@strawberry.input(description="Payer filters; all given filters must match (AND).")
class PayerFilter:
    type: PayerTypeEnum | None = strawberry.field(default=None, description="Kind of payer.")
    name_contains: str | None = strawberry.field(
        default=None, description="Name contains this (case-insensitive)."
    )
    email: str | None = strawberry.field(
        default=None, description="E-mail equals this (case-insensitive)."
    )
    phone: str | None = strawberry.field(default=None, description="Phone contains this.")
    search: str | None = strawberry.field(
        default=None, description="Name, phone or e-mail contains this (case-insensitive)."
    )
    location: UUID | None = strawberry.field(
        default=None,
        description="Payers at the location with this uuid or anywhere below it.",
    )


def filter_payers(queryset: QuerySet, where: PayerFilter | None) -> QuerySet:
    """Apply a :class:`PayerFilter` to a Payer queryset (None: no filtering)."""
    if where is None:
        return queryset
    lookups = {
        "type": where.type.value if where.type else None,
        "name__icontains": where.name_contains,
        "email__iexact": where.email,
        "phone__icontains": where.phone,
    }
    queryset = queryset.filter(**{k: v for k, v in lookups.items() if v is not None})
    if where.location is not None:
        queryset = queryset.at_or_below(where.location)
    if where.search:
        text = where.search
        queryset = queryset.filter(
            Q(name__icontains=text) | Q(phone__icontains=text) | Q(email__icontains=text)
        )
    return queryset


@strawberry.type
class PayerQuery:
    @strawberry_django.connection(
        CountedConnection[PayerNode],
        description=(
            "Payers, as a Relay connection (default page 100; `first`/`last` above the "
            "configured maximum is an error). Current rows unless `validity` asks otherwise."
        ),
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
        return queryset.order_by(*order_by_fields(order_by, ("name",)))

    @strawberry_django.field(
        description="The payer with this uuid (current or history version); null if none."
    )
    def payer(
        self,
        info: strawberry.Info,
        uuid: Annotated[UUID, strawberry.argument(description="The payer's uuid.")],
    ) -> PayerNode | None:
        return optimize(Payer.objects.filter(uuid=uuid), info).first()


contribution = Contribution(
    queries=[PayerQuery],
    types=[PayerNode],
    extensions={"Location": [LocationPayers]},
)
