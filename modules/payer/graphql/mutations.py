"""Mutations of the payer module: create, update and delete a payer; delete several.

Each is a :func:`backend.graphql.mutations.write_mutation` running
:mod:`modules.payer.services`.
"""

from __future__ import annotations

from uuid import UUID

import strawberry

from backend.graphql.mutations import payload_type, write_mutation

from .. import services
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


@strawberry.input(description="A current payer to delete (its validityTo is set).")
class DeletePayerInput:
    uuid: UUID = strawberry.field(description="Uuid of the current payer to delete.")


@strawberry.input(description="Current payers to delete together, all or nothing.")
class DeletePayersInput:
    uuids: list[UUID] = strawberry.field(
        description="Uuids of the current payers to delete, each once (at most the page maximum)."
    )


DeletePayersPayload = payload_type(
    "payers",
    list[PayerNode],
    name="DeletePayersPayload",
    description="Result of deletePayers.",
    result_description="The deleted payers as saved, in the order of the input; null on errors.",
    errors_description="Why nothing was written (naming each bad uuid); empty on success.",
)


def _create(input: CreatePayerInput, user):
    data = {
        "name": input.name,
        "type": input.type.value,
        **{name: getattr(input, name) for name in TEXTS},
    }
    return services.create_payer(data, location=input.location, user=user)


def _update(input: UpdatePayerInput, user):
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
    return services.update_payer(input.uuid, changes, location=location, user=user)


@strawberry.type
class PayerMutation:
    create_payer = write_mutation(
        CreatePayerInput,
        PayerPayload,
        _create,
        permission="payer.add_payer",
        description="Create a payer. Needs payer.add_payer.",
        input_description="The new payer.",
    )
    update_payer = write_mutation(
        UpdatePayerInput,
        PayerPayload,
        _update,
        permission="payer.change_payer",
        description="Change a current payer, keeping the old values as history. "
        "Needs payer.change_payer.",
        input_description="The payer and its changes.",
    )
    delete_payer = write_mutation(
        DeletePayerInput,
        PayerPayload,
        lambda input, user: services.delete_payer(input.uuid, user=user),
        permission="payer.delete_payer",
        description="Delete a current payer (sets validityTo; nothing is removed). "
        "Needs payer.delete_payer.",
        input_description="The payer.",
    )
    delete_payers = write_mutation(
        DeletePayersInput,
        DeletePayersPayload,
        lambda input, user: services.delete_payers(input.uuids, user=user),
        permission="payer.delete_payer",
        description="Delete several current payers in one transaction, all or nothing "
        "(sets validityTo; nothing is removed). Needs payer.delete_payer.",
        input_description="The payers.",
    )
