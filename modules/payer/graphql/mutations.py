"""Mutations of the payer module: create, update and delete a payer; delete several.

Each runs :mod:`modules.payer.services` in one transaction and returns a
``PayerPayload``: the saved payer read back from the database, or the list of
``UserError``s (nothing written). Missing permissions are GraphQL errors.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry

from backend.graphql.errors import UserErrorType, attempt
from backend.graphql.permissions import HasPerm, current_user

from .. import services
from .types import PayerNode, PayerTypeEnum

TEXTS = {
    "address": "Postal address, line breaks kept, at most 100 characters.",
    "phone": "Phone number, at most 50 characters.",
    "fax": "Fax number, at most 50 characters.",
    "email": "E-mail address, well-formed, at most 50 characters.",
}


@strawberry.type(description="Result of a payer mutation.")
class PayerPayload:
    payer: PayerNode | None = strawberry.field(
        description="The payer as saved (read back from the database); null on errors."
    )
    errors: list[UserErrorType] = strawberry.field(
        description="Why nothing was written; empty on success."
    )


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


@strawberry.input(description="A current payer to delete (its validityTo is set).")
class DeletePayerInput:
    uuid: UUID = strawberry.field(description="Uuid of the current payer to delete.")


@strawberry.input(description="Current payers to delete together, all or nothing.")
class DeletePayersInput:
    uuids: list[UUID] = strawberry.field(
        description="Uuids of the current payers to delete, each once (at most the page maximum)."
    )


@strawberry.type(description="Result of deletePayers.")
class DeletePayersPayload:
    payers: list[PayerNode] | None = strawberry.field(
        description="The deleted payers as saved, in the order of the input; null on errors."
    )
    errors: list[UserErrorType] = strawberry.field(
        description="Why nothing was written (naming each bad uuid); empty on success."
    )


def _payload(action) -> PayerPayload:
    payer, errors = attempt(action)
    return PayerPayload(payer=payer, errors=errors)


@strawberry.type
class PayerMutation:
    @strawberry.mutation(
        description="Create a payer. Needs payer.add_payer.",
        permission_classes=[HasPerm("payer.add_payer")],
    )
    def create_payer(
        self,
        info: strawberry.Info,
        input: Annotated[CreatePayerInput, strawberry.argument(description="The new payer.")],
    ) -> PayerPayload:
        data = {
            "name": input.name,
            "type": input.type.value,
            **{name: getattr(input, name) for name in TEXTS},
        }
        return _payload(
            lambda: services.create_payer(data, location=input.location, user=current_user(info))
        )

    @strawberry.mutation(
        description="Change a current payer, keeping the old values as history. "
        "Needs payer.change_payer.",
        permission_classes=[HasPerm("payer.change_payer")],
    )
    def update_payer(
        self,
        info: strawberry.Info,
        input: Annotated[
            UpdatePayerInput, strawberry.argument(description="The payer and its changes.")
        ],
    ) -> PayerPayload:
        changes = {
            name: getattr(input, name)
            for name in ("name", *TEXTS)
            if getattr(input, name) is not strawberry.UNSET
        }
        if changes.get("name", "") is None:  # explicit null for the required name
            changes["name"] = ""
        if input.type is not strawberry.UNSET:
            changes["type"] = input.type.value if input.type else ""
        location = services.UNCHANGED if input.location is strawberry.UNSET else input.location
        return _payload(
            lambda: services.update_payer(
                input.uuid, changes, location=location, user=current_user(info)
            )
        )

    @strawberry.mutation(
        description="Delete a current payer (sets validityTo; nothing is removed). "
        "Needs payer.delete_payer.",
        permission_classes=[HasPerm("payer.delete_payer")],
    )
    def delete_payer(
        self,
        info: strawberry.Info,
        input: Annotated[DeletePayerInput, strawberry.argument(description="The payer.")],
    ) -> PayerPayload:
        return _payload(lambda: services.delete_payer(input.uuid, user=current_user(info)))

    @strawberry.mutation(
        description="Delete several current payers in one transaction, all or nothing "
        "(sets validityTo; nothing is removed). Needs payer.delete_payer.",
        permission_classes=[HasPerm("payer.delete_payer")],
    )
    def delete_payers(
        self,
        info: strawberry.Info,
        input: Annotated[DeletePayersInput, strawberry.argument(description="The payers.")],
    ) -> DeletePayersPayload:
        payers, errors = attempt(
            lambda: services.delete_payers(input.uuids, user=current_user(info))
        )
        return DeletePayersPayload(payers=payers, errors=errors)
