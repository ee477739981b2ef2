"""Filter and order inputs of ``locations``."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

import strawberry
from django.db.models import QuerySet

from backend.graphql.inputs import apply_filter, order_input

from ..lookups import require_known, subtrees
from ..models import normalize_code
from .types import LocationTypeEnum


@strawberry.enum(description="Fields locations can be ordered by.")
class LocationOrderField(Enum):
    CODE = strawberry.enum_value("code", description="Location code.")
    NAME = strawberry.enum_value("name", description="Location name.")
    TYPE = strawberry.enum_value(
        "type", description="Level: regions, districts, municipalities, villages."
    )


LocationOrder = order_input("LocationOrder", LocationOrderField, "locations")


@strawberry.input(description="Location filters; all given filters must match (AND).")
class LocationFilter:
    type: LocationTypeEnum | None = strawberry.field(default=None, description="Level.")
    code: str | None = strawberry.field(
        default=None,
        description=(
            "Code equals this (case-insensitive; surrounding spaces ignored, as when a "
            "location is created)."
        ),
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
    parents: list[UUID] | None = strawberry.field(
        default=None,
        description="Direct children of any of the locations with these uuids (one page, "
        "one totalCount; an empty list matches nothing).",
    )
    ancestors: list[UUID] | None = strawberry.field(
        default=None,
        description="Every location below any of the locations with these uuids, at any "
        "depth (an empty list matches nothing).",
    )
    search: str | None = strawberry.field(
        default=None, description="Code or name contains this (case-insensitive)."
    )


def filter_locations(queryset: QuerySet, where: LocationFilter | None) -> QuerySet:
    """Apply a :class:`LocationFilter` to a Location queryset (None: no filtering).

    Raises ``UserInputError`` naming any uuid of ``parent``, ``ancestor``, ``parents``
    or ``ancestors`` that no location has (one query), and any text or list over the
    filter limits.
    """
    if where is None:
        return queryset
    queryset = apply_filter(
        queryset,
        where,
        {
            "type": where.type.value if where.type else None,
            "code__iexact": None if where.code is None else normalize_code(where.code),
            "code__istartswith": where.code_starts_with,
            "code__icontains": where.code_contains,
            "name__icontains": where.name_contains,
            "parent__uuid": where.parent,
            "parent__uuid__in": where.parents,
        },
        search=where.search,
        search_fields=("code", "name"),
    )
    require_known(
        {
            "filter.parent": [where.parent],
            "filter.ancestor": [where.ancestor],
            "filter.parents": where.parents or (),
            "filter.ancestors": where.ancestors or (),
        }
    )
    if where.ancestor is not None:
        queryset = queryset.below(where.ancestor)
    if where.ancestors is not None:
        queryset = queryset.filter(subtrees("", where.ancestors, include_self=False))
    return queryset
