"""Filter and order inputs of ``payers``."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

import strawberry
from django.db.models import QuerySet

from backend.graphql.inputs import apply_filter, order_input
from backend.registry import lookup

from .types import PayerTypeEnum


@strawberry.enum(description="Fields payers can be ordered by.")
class PayerOrderField(Enum):
    NAME = strawberry.enum_value("name", description="Payer name.")
    TYPE = strawberry.enum_value("type", description="Payer type code.")
    LOCATION_CODE = strawberry.enum_value(
        "location_code", description="Code of the payer's location (payers without one last)."
    )
    VALIDITY_FROM = strawberry.enum_value(
        "validity_from", description="Start of the version's validity (last change)."
    )
    EMAIL = strawberry.enum_value("email", description="E-mail (case-insensitive; none last).")
    PHONE = strawberry.enum_value("phone", description="Phone (none last).")


PayerOrder = order_input("PayerOrder", PayerOrderField, "payers")


@strawberry.input(description="Payer filters; all given filters must match (AND).")
class PayerFilter:
    type: PayerTypeEnum | None = strawberry.field(default=None, description="Kind of payer.")
    name_contains: str | None = strawberry.field(
        default=None, description="Name contains this (case-insensitive)."
    )
    email: str | None = strawberry.field(
        default=None, description="E-mail equals this (case-insensitive)."
    )
    email_contains: str | None = strawberry.field(
        default=None, description="E-mail contains this (case-insensitive)."
    )
    phone: str | None = strawberry.field(default=None, description="Phone contains this.")
    fax: str | None = strawberry.field(default=None, description="Fax contains this.")
    search: str | None = strawberry.field(
        default=None, description="Name, phone or e-mail contains this (case-insensitive)."
    )
    location: UUID | None = strawberry.field(
        default=None,
        description="Payers at the location with this uuid or anywhere below it.",
    )


def filter_payers(queryset: QuerySet, where: PayerFilter | None) -> QuerySet:
    """Apply a :class:`PayerFilter` to a Payer queryset (None: no filtering).

    Raises ``UserInputError`` when no location has the uuid of ``location`` (one query).
    """
    if where is None:
        return queryset
    queryset = apply_filter(
        queryset,
        where,
        {
            "type": where.type.value if where.type else None,
            "name__icontains": where.name_contains,
            "email__iexact": where.email,
            "email__icontains": where.email_contains,
            "phone__icontains": where.phone,
            "fax__icontains": where.fax,
        },
        search=where.search,
        search_fields=("name", "phone", "email"),
    )
    lookup("location.require_known")({"filter.location": [where.location]})
    if where.location is not None:
        queryset = queryset.at_or_below(where.location)
    return queryset
