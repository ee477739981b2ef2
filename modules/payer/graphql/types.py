"""GraphQL types of the payer module: ``Payer``, ``PayerType`` and ``Location.payers``.

The location type is named by its GraphQL name through the core registry (``ref``);
this module never imports the location module.
"""

from __future__ import annotations

import datetime
from enum import Enum
from uuid import UUID

import strawberry
import strawberry_django
from django.db.models import QuerySet

from backend.graphql.audit import audit_user, legacy_audit_user_id
from backend.graphql.connection import CountedConnection
from backend.graphql.permissions import GuardedNode, HasPerm
from backend.graphql.queries import related_count
from backend.graphql.relations import history_of, prefetched_connection, prefetched_list
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


@strawberry_django.type(
    Payer,
    name="Payer",
    description=(
        "A payer of contributions (tblPayer): a co-operative, donor, government body, "
        "local authority or other organisation. One row per version."
    ),
)
class PayerNode(GuardedNode):
    view_permission = VIEW_PERMISSION

    uuid: UUID = strawberry_django.field(description="Stable external identifier.")
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
    validity_from: datetime.datetime = strawberry_django.field(
        description="Start of this version's validity."
    )
    validity_to: datetime.datetime | None = strawberry_django.field(
        description="End of this version's validity; null for the current version."
    )
    audit_user: str | None = audit_user()
    legacy_audit_user_id: int | None = legacy_audit_user_id()
    history_count: int = related_count(
        "history_count",
        lambda: Payer.objects.history(),
        "legacy",
        restricted=False,
        description="Number of earlier versions of this payer (0 on a history row).",
    )
    history: list[PayerNode] = prefetched_list(
        "history",
        history_of(Payer),
        restricted=False,
        description="Earlier versions of this payer, newest first (empty on a history row).",
    )
    history_connection: CountedConnection[PayerNode] = prefetched_connection(
        "history",
        history_of(Payer),
        restricted=False,
        description=(
            "Earlier versions of this payer, newest first, as a Relay connection "
            "(first/after, totalCount, keyset cursors)."
        ),
    )


NEEDS = "Needs 'payer.view_payer': without it the field is null with a permission error."


def _current_by_name() -> QuerySet:
    return Payer.objects.current().order_by("name", "pk")


@strawberry.type(description="Fields the payer module adds to Location.")
class LocationPayers:
    payers: list[PayerNode] | None = prefetched_list(
        "payers",
        _current_by_name,
        description=f"Current payers at this location, ordered by name (payer module). {NEEDS}",
        permission_classes=[HasPerm(VIEW_PERMISSION)],
    )
    payers_connection: CountedConnection[PayerNode] | None = prefetched_connection(
        "payers",
        _current_by_name,
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
