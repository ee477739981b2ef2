"""The filter input of ``locations``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry
from django.db.models import QuerySet

from backend.graphql.inputs import FILTER_TEXTS, filter_field, search_field

from ..lookups import require_known
from ..models import normalize_code
from .types import LocationTypeEnum


@strawberry.input(description=f"Location filters; {FILTER_TEXTS}")
class LocationFilter:
    type: LocationTypeEnum | None = filter_field("type", "Level.")
    code: str | None = filter_field(
        "code__iexact",
        "Code equals this (case-insensitive; surrounding spaces ignored, as when a "
        "location is created).",
        value=normalize_code,
    )
    code_starts_with: str | None = filter_field(
        "code__istartswith", "Code starts with this (case-insensitive)."
    )
    code_contains: str | None = filter_field(
        "code__icontains", "Code contains this (case-insensitive)."
    )
    name_contains: str | None = filter_field(
        "name__icontains", "Name contains this (case-insensitive)."
    )
    parent: UUID | None = filter_field(
        "parent__uuid", "Direct children of the location with this uuid."
    )
    ancestor: UUID | None = strawberry.field(
        default=None,
        description="Every location below the one with this uuid, at any depth.",
    )
    parents: list[UUID] | None = filter_field(
        "parent__uuid__in",
        "Direct children of any of the locations with these uuids (one page, "
        "one totalCount; an empty list matches nothing).",
    )
    ancestors: list[UUID] | None = strawberry.field(
        default=None,
        description="Every location below any of the locations with these uuids, at any "
        "depth (an empty list matches nothing).",
    )
    search: str | None = search_field(
        ("code", "name"), "Code or name contains this (case-insensitive)."
    )

    def narrow(self, queryset: QuerySet, user: Any) -> QuerySet:
        """``queryset`` (Locations, already matched by the declared fields) kept to those
        below ``ancestor`` and any of ``ancestors``; ``user``: the request's user.

        Raises ``UserInputError`` naming any uuid of ``parent``, ``ancestor``,
        ``parents`` or ``ancestors`` that no location visible to ``user`` has (one
        query; a location outside the user's districts is named as an unknown one).
        """
        require_known(
            {
                "filter.parent": [self.parent],
                "filter.ancestor": [self.ancestor],
                "filter.parents": self.parents or (),
                "filter.ancestors": self.ancestors or (),
            },
            user,
        )
        if self.ancestor is not None:
            queryset = queryset.below(self.ancestor)
        if self.ancestors is not None:
            queryset = queryset.below_any(self.ancestors)
        return queryset
