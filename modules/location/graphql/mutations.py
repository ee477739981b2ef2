"""Mutations of the location module: create, update, move and delete a location.

Each is a :func:`backend.graphql.mutations.write_mutation` running
:mod:`modules.location.services`.
"""

from __future__ import annotations

from uuid import UUID

import strawberry

from backend.graphql.inputs import ReferencesEnum
from backend.graphql.mutations import payload_type, write_mutation

from .. import services
from .types import LocationNode, LocationTypeEnum

COUNTS = {
    "male_population": "Male population, a whole number, not negative.",
    "female_population": "Female population, a whole number, not negative.",
    "other_population": "Other population, a whole number, not negative.",
    "families": "Number of families, a whole number, not negative.",
}


LocationPayload = payload_type("location", LocationNode)


@strawberry.input(description="A new location.")
class CreateLocationInput:
    code: str = strawberry.field(description="Code, at most 8 characters, unique among current.")
    name: str = strawberry.field(description="Name, at most 50 characters.")
    type: LocationTypeEnum = strawberry.field(description="Level.")
    parent: UUID | None = strawberry.field(
        default=None, description="Uuid of the current parent one level up; none for a region."
    )
    male_population: int | None = strawberry.field(
        default=None, description=COUNTS["male_population"]
    )
    female_population: int | None = strawberry.field(
        default=None, description=COUNTS["female_population"]
    )
    other_population: int | None = strawberry.field(
        default=None, description=COUNTS["other_population"]
    )
    families: int | None = strawberry.field(default=None, description=COUNTS["families"])


@strawberry.input(description="Changes to a current location; omitted fields stay as they are.")
class UpdateLocationInput:
    uuid: UUID = strawberry.field(description="Uuid of the current location to change.")
    code: str | None = strawberry.field(default=strawberry.UNSET, description="New code.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    type: LocationTypeEnum | None = strawberry.field(
        default=strawberry.UNSET, description="New level (its parent and children must fit)."
    )
    male_population: int | None = strawberry.field(
        default=strawberry.UNSET, description=COUNTS["male_population"]
    )
    female_population: int | None = strawberry.field(
        default=strawberry.UNSET, description=COUNTS["female_population"]
    )
    other_population: int | None = strawberry.field(
        default=strawberry.UNSET, description=COUNTS["other_population"]
    )
    families: int | None = strawberry.field(
        default=strawberry.UNSET, description=COUNTS["families"]
    )


@strawberry.input(description="A new parent for a current location.")
class MoveLocationInput:
    uuid: UUID = strawberry.field(description="Uuid of the current location to move.")
    parent: UUID | None = strawberry.field(
        description="Uuid of the new parent (one level up); null only for a region."
    )


@strawberry.input(description="A current location to delete (its validityTo is set).")
class DeleteLocationInput:
    uuid: UUID = strawberry.field(description="Uuid of the current location to delete.")
    new_parent: UUID | None = strawberry.field(
        default=None,
        description="Move its current children to this location (same level) first.",
    )
    descendants: bool = strawberry.field(
        default=False,
        description=(
            "Delete every current location below it too, at any depth, in the same "
            "transaction (each row keeps its history: validityTo set)."
        ),
    )
    references: ReferencesEnum = strawberry.field(
        default=ReferencesEnum.PROTECT,
        description=(
            "What happens to other modules' current rows at the deleted locations: "
            "PROTECT refuses and lists them, CASCADE deletes them, REASSIGN moves them "
            "to reassignTo."
        ),
    )
    reassign_to: UUID | None = strawberry.field(
        default=None,
        description=(
            "With references: REASSIGN, the current location (outside the deleted "
            "subtree) receiving the rows; each module may restrict its level."
        ),
    )


def _update_changes(data: UpdateLocationInput) -> dict:
    changes = {
        name: getattr(data, name)
        for name in ("code", "name", *COUNTS)
        if getattr(data, name) is not strawberry.UNSET
    }
    for text in ("code", "name"):  # explicit null for a required text: REQUIRED
        if text in changes and changes[text] is None:
            changes[text] = ""
    if data.type is not strawberry.UNSET:
        changes["type"] = data.type.value if data.type else ""
    return changes


def _create(input: CreateLocationInput, user):
    data = {
        "code": input.code,
        "name": input.name,
        "type": input.type.value,
        **{name: getattr(input, name) for name in COUNTS},
    }
    return services.create_location(data, parent=input.parent, user=user)


def _delete(input: DeleteLocationInput, user):
    return services.delete_location(
        input.uuid,
        new_parent=input.new_parent,
        descendants=input.descendants,
        references=input.references.value,
        reassign_to=input.reassign_to,
        user=user,
    )


@strawberry.type
class LocationMutation:
    create_location = write_mutation(
        CreateLocationInput,
        LocationPayload,
        _create,
        permission="location.add_location",
        description="Create a location. Needs location.add_location (and "
        "location.manage_upper_levels for a region or district).",
        input_description="The new location.",
    )
    update_location = write_mutation(
        UpdateLocationInput,
        LocationPayload,
        lambda input, user: services.update_location(input.uuid, _update_changes(input), user=user),
        permission="location.change_location",
        description="Change a current location's fields, keeping the old values as history. "
        "Needs location.change_location (and manage_upper_levels for a region or district).",
        input_description="The location and its changes.",
    )
    move_location = write_mutation(
        MoveLocationInput,
        LocationPayload,
        lambda input, user: services.move_location(input.uuid, input.parent, user=user),
        permission="location.change_location",
        description="Give a current location a new parent, keeping history. "
        "Needs location.change_location (and manage_upper_levels for a region or district).",
        input_description="The location and its new parent.",
    )
    delete_location = write_mutation(
        DeleteLocationInput,
        LocationPayload,
        _delete,
        permission="location.delete_location",
        description="Delete a current location (sets validityTo; nothing is removed). "
        "Refused while it has current children (unless newParent or descendants is given) "
        "or while another module still refers to it (unless references says otherwise); "
        "one transaction. Needs location.delete_location (and "
        "manage_upper_levels for a region or district).",
        input_description="The location to delete.",
    )
