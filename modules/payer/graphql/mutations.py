"""Mutations of the payer module: create, update and delete a payer; delete several.

Each is a write of :mod:`modules.payer.services` declared as a mutation by
:func:`backend.graphql.mutations.write_mutation`; its docstring is the mutation's
description.
"""

from __future__ import annotations

import datetime
from uuid import UUID

import strawberry

from backend.graphql.mutations import (
    expected_version,
    input_values,
    payload_type,
    write_mutation,
)

from .. import services
from ..models import Payer
from .types import PayerNode, PayerTypeEnum

TEXTS = {
    "address": "Postal address, line breaks kept, at most 100 characters.",
    "phone": "Phone number, at most 50 characters.",
    "fax": "Fax number, at most 50 characters.",
    "email": "E-mail address, well-formed, at most 50 characters.",
}


PayerPayload = payload_type("payer", PayerNode)


@strawberry.input(description="A new payer.")
class CreatePayerInput:
    name: str = strawberry.field(description="Name, at most 100 characters.")
    type: PayerTypeEnum = strawberry.field(description="Kind of payer.")
    location: UUID | None = strawberry.field(
        default=None, description="Uuid of a current region or district."
    )
    address: str | None = strawberry.field(default=None, description=TEXTS["address"])
    phone: str | None = strawberry.field(default=None, description=TEXTS["phone"])
    fax: str | None = strawberry.field(default=None, description=TEXTS["fax"])
    email: str | None = strawberry.field(default=None, description=TEXTS["email"])


@strawberry.input(description="Changes to a current payer; omitted fields stay as they are.")
class UpdatePayerInput:
    uuid: UUID = strawberry.field(description="Uuid of the current payer to change.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    type: PayerTypeEnum | None = strawberry.field(
        default=strawberry.UNSET, description="New kind of payer."
    )
    location: UUID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Uuid of a current region or district; null removes the location.",
    )
    address: str | None = strawberry.field(default=strawberry.UNSET, description=TEXTS["address"])
    phone: str | None = strawberry.field(default=strawberry.UNSET, description=TEXTS["phone"])
    fax: str | None = strawberry.field(default=strawberry.UNSET, description=TEXTS["fax"])
    email: str | None = strawberry.field(default=strawberry.UNSET, description=TEXTS["email"])
    expected_validity_from: datetime.datetime | None = expected_version("payer")


@strawberry.input(description="A current payer to delete (its validityTo is set).")
class DeletePayerInput:
    uuid: UUID = strawberry.field(description="Uuid of the current payer to delete.")
    expected_validity_from: datetime.datetime | None = expected_version("payer")


@strawberry.input(description="Current payers to delete together, all or nothing.")
class DeletePayersInput:
    uuids: list[UUID] = strawberry.field(
        description="Uuids of the current payers to delete, each once (at most the page maximum)."
    )
    expected_validity_from: list[datetime.datetime | None] | None = expected_version(
        "payer", many=True
    )


DeletePayersPayload = payload_type(
    "payers",
    list[PayerNode],
    name="DeletePayersPayload",
    description="Result of deletePayers.",
    result_description="The deleted payers as saved, in the order of the input; null on errors.",
    errors_description="Why nothing was written (naming each bad uuid); empty on success.",
)


@strawberry.type
class PayerMutation:
    @write_mutation(PayerPayload, "payer.add_payer", "The new payer.")
    def create_payer(input: CreatePayerInput, user) -> Payer:
        """Create a payer. Needs payer.add_payer."""
        data = input_values(input, ("name", "type", *TEXTS))
        return services.create_payer(data, location=input.location, user=user)

    @write_mutation(PayerPayload, "payer.change_payer", "The payer and its changes.")
    def update_payer(input: UpdatePayerInput, user) -> Payer:
        """Change a current payer, keeping the old values as history.
        Needs payer.change_payer."""
        changes = input_values(input, ("name", *TEXTS, "type"), required=("name", "type"))
        location = services.UNCHANGED if input.location is strawberry.UNSET else input.location
        return services.update_payer(
            input.uuid,
            changes,
            location=location,
            user=user,
            expected_validity_from=input.expected_validity_from,
        )

    @write_mutation(PayerPayload, "payer.delete_payer", "The payer.")
    def delete_payer(input: DeletePayerInput, user) -> Payer:
        """Delete a current payer (sets validityTo; nothing is removed).
        Needs payer.delete_payer."""
        return services.delete_payer(
            input.uuid, user=user, expected_validity_from=input.expected_validity_from
        )

    @write_mutation(DeletePayersPayload, "payer.delete_payer", "The payers.")
    def delete_payers(input: DeletePayersInput, user) -> list[Payer]:
        """Delete several current payers in one transaction, all or nothing
        (sets validityTo; nothing is removed). Needs payer.delete_payer."""
        return services.delete_payers(
            input.uuids, user=user, expected_validity_from=input.expected_validity_from
        )
