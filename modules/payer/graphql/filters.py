"""The filter input of ``payers``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry
from django.db.models import QuerySet

from backend.graphql.inputs import FILTER_TEXTS, filter_field, search_field
from backend.registry import lookup

from .types import PayerTypeEnum


@strawberry.input(description=f"Payer filters; {FILTER_TEXTS}")
class PayerFilter:
    type: PayerTypeEnum | None = filter_field("type", "Kind of payer.")
    name_contains: str | None = filter_field(
        "name__icontains", "Name contains this (case-insensitive)."
    )
    email: str | None = filter_field("email__iexact", "E-mail equals this (case-insensitive).")
    email_contains: str | None = filter_field(
        "email__icontains", "E-mail contains this (case-insensitive)."
    )
    phone: str | None = filter_field("phone__icontains", "Phone contains this.")
    fax: str | None = filter_field("fax__icontains", "Fax contains this.")
    search: str | None = search_field(
        ("name", "phone", "email"), "Name, phone or e-mail contains this (case-insensitive)."
    )
    location: UUID | None = strawberry.field(
        default=None,
        description="Payers at the location with this uuid or anywhere below it.",
    )

    def narrow(self, queryset: QuerySet, user: Any) -> QuerySet:
        """``queryset`` (Payers, already matched by the declared fields) kept to those at
        or below ``location``; ``user``: the request's user.

        Raises ``PermissionDenied`` naming ``location.view_location`` when ``location``
        is given and ``user`` may not view locations (whatever the uuid: a payer-only
        viewer learns nothing of locations), and ``UserInputError`` when no location
        visible to ``user`` has that uuid (one query; a location outside the user's
        districts is named as an unknown one).
        """
        lookup("location.require_known")(
            {"filter.location": [self.location]}, user, action="filter payers by location"
        )
        if self.location is not None:
            queryset = queryset.at_or_below(self.location)
        return queryset
