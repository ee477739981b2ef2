"""Mutations of the location module: create, update, move and delete a location.

Each runs :mod:`modules.location.services` in one transaction and returns a
``LocationPayload``: the saved location read back from the database, or the list of
``UserError``s (nothing written). Missing permissions are GraphQL errors.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry

from backend.graphql.errors import UserErrorType, attempt
from backend.graphql.inputs import ReferencesEnum
from backend.graphql.permissions import HasPerm, current_user

from .. import services
from .types import LocationNode, LocationTypeEnum

COUNTS = {
    "male_population": "Male population, a whole number, not negative.",
    "female_population": "Female population, a whole number, not negative.",
    "other_population": "Other population, a whole number, not negative.",
    "families": "Number of families, a whole number, not negative.",
}


@strawberry.type(description="Result of a location mutation.")
class LocationPayload:
    location: LocationNode | None = strawberry.field(
        description="The location as saved (read back from the database); null on errors."
    )
    errors: list[UserErrorType] = strawberry.field(
        description="Why nothing was written; empty on success."
    )


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


def _payload(action) -> LocationPayload:
    location, errors = attempt(action)
    return LocationPayload(location=location, errors=errors)


@strawberry.type
class LocationMutation:
    @strawberry.mutation(
        description="Create a location. Needs location.add_location (and "
        "location.manage_upper_levels for a region or district).",
        permission_classes=[HasPerm("location.add_location")],
    )
    def create_location(
        self,
        info: strawberry.Info,
        input: Annotated[CreateLocationInput, strawberry.argument(description="The new location.")],
    ) -> LocationPayload:
        data = {
            "code": input.code,
            "name": input.name,
            "type": input.type.value,
            **{name: getattr(input, name) for name in COUNTS},
        }
        return _payload(
            lambda: services.create_location(data, parent=input.parent, user=current_user(info))
        )

    @strawberry.mutation(
        description="Change a current location's fields, keeping the old values as history. "
        "Needs location.change_location (and manage_upper_levels for a region or district).",
        permission_classes=[HasPerm("location.change_location")],
    )
    def update_location(
        self,
        info: strawberry.Info,
        input: Annotated[
            UpdateLocationInput, strawberry.argument(description="The location and its changes.")
        ],
    ) -> LocationPayload:
        return _payload(
            lambda: services.update_location(
                input.uuid, _update_changes(input), user=current_user(info)
            )
        )

    @strawberry.mutation(
        description="Give a current location a new parent, keeping history. "
        "Needs location.change_location (and manage_upper_levels for a region or district).",
        permission_classes=[HasPerm("location.change_location")],
    )
    def move_location(
        self,
        info: strawberry.Info,
        input: Annotated[
            MoveLocationInput, strawberry.argument(description="The location and its new parent.")
        ],
    ) -> LocationPayload:
        return _payload(
            lambda: services.move_location(input.uuid, input.parent, user=current_user(info))
        )

    @strawberry.mutation(
        description="Delete a current location (sets validityTo; nothing is removed). "
        "Refused while it has current children (unless newParent or descendants is given) "
        "or while another module still refers to it (unless references says otherwise); "
        "one transaction. Needs location.delete_location (and "
        "manage_upper_levels for a region or district).",
        permission_classes=[HasPerm("location.delete_location")],
    )
    def delete_location(
        self,
        info: strawberry.Info,
        input: Annotated[
            DeleteLocationInput, strawberry.argument(description="The location to delete.")
        ],
    ) -> LocationPayload:
        return _payload(
            lambda: services.delete_location(
                input.uuid,
                new_parent=input.new_parent,
                descendants=input.descendants,
                references=input.references.value,
                reassign_to=input.reassign_to,
                user=current_user(info),
            )
        )
