"""GraphQL types of the payer module: ``Payer``, ``PayerType`` and ``Location.payers``.

The location type is named by its GraphQL name through the core registry (``ref``);
this module never imports the location module.
"""

from __future__ import annotations

from enum import Enum

import strawberry
import strawberry_django

from backend.graphql.connection import CountedConnection
from backend.graphql.permissions import GuardedNode, HasPerm
from backend.graphql.queries import related_count, viewer_can
from backend.graphql.relations import prefetched_connection, prefetched_list
from backend.graphql.versioned import current_rows, versioned_type
from backend.registry import ref

from ..models import Payer

VIEW_PERMISSION = "payer.view_payer"


@strawberry.enum(name="PayerType", description="Kind of payer (legacy code C/D/G/L/O/P).")
class PayerTypeEnum(Enum):
    COOPERATIVE = strawberry.enum_value("C", description="Co-operative (C).")
    DONOR = strawberry.enum_value("D", description="Donor (D).")
    GOVERNMENT = strawberry.enum_value("G", description="Government (G).")
    LOCAL_AUTHORITY = strawberry.enum_value("L", description="Local authority (L).")
    OTHER = strawberry.enum_value("O", description="Other (O).")
    PRIVATE_ORGANIZATION = strawberry.enum_value("P", description="Private organization (P).")


@versioned_type(
    Payer,
    description=(
        "A payer of contributions (tblPayer): a co-operative, donor, government body, "
        "local authority or other organisation. One row per version."
    ),
)
class PayerNode(GuardedNode):
    view_permission = VIEW_PERMISSION

    name: str = strawberry_django.field(description="Payer name, at most 100 characters.")
    type: PayerTypeEnum = strawberry_django.field(description="Kind of payer.")
    address: str | None = strawberry_django.field(
        description="Postal address, line breaks kept, at most 100 characters."
    )
    phone: str | None = strawberry_django.field(description="Phone number.")
    fax: str | None = strawberry_django.field(description="Fax number.")
    email: str | None = strawberry_django.field(description="E-mail address.")
    # Guarded by the location module's view permission, which the core adds to any
    # field returning a Location (backend.graphql.schema.guard_foreign_fields).
    location: ref("Location") | None = strawberry_django.field(
        description="The region or district the payer belongs to.",
    )
    viewer_can_change: bool = viewer_can(
        "viewer_can_change",
        Payer,
        lambda may: may("payer.change_payer"),
        description=(
            "Whether the caller may change this payer now (updatePayer): a current row, "
            "payer.change_payer, at a location in or below the caller's districts."
        ),
    )
    viewer_can_delete: bool = viewer_can(
        "viewer_can_delete",
        Payer,
        lambda may: may("payer.delete_payer"),
        description=(
            "Whether the caller may delete this payer now (deletePayer): a current row, "
            "payer.delete_payer, at a location in or below the caller's districts."
        ),
    )


NEEDS = "Needs 'payer.view_payer': without it the field is null with a permission error."


@strawberry.type(description="Fields the payer module adds to Location.")
class LocationPayers:
    payers: list[PayerNode] | None = prefetched_list(
        "payers",
        current_rows(Payer, "name"),
        description=f"Current payers at this location, ordered by name (payer module). {NEEDS}",
        permission_classes=[HasPerm(VIEW_PERMISSION)],
    )
    payers_connection: CountedConnection[PayerNode] | None = prefetched_connection(
        "payers",
        current_rows(Payer, "name"),
        description=(
            "Current payers at this location, ordered by name, as a Relay connection "
            f"(first/after, totalCount, keyset cursors; payer module). {NEEDS}"
        ),
        permission_classes=[HasPerm(VIEW_PERMISSION)],
    )
    payers_count: int | None = related_count(
        "payers_count",
        lambda: Payer.objects.current(),
        "location",
        description=f"Number of current payers at this location (payer module). {NEEDS}",
        permission_classes=[HasPerm(VIEW_PERMISSION)],
    )
