"""Mutations of the location module: create, update, move and delete a location.

Each is a write of :mod:`modules.location.services` declared as a mutation by
:func:`backend.graphql.mutations.write_mutation`; its docstring is the mutation's
description.
"""

from __future__ import annotations

import datetime
from uuid import UUID

import strawberry

from backend.graphql.inputs import ReferencesEnum
from backend.graphql.mutations import (
    expected_version,
    input_values,
    payload_type,
    write_mutation,
)

from .. import services
from ..models import Location
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
    expected_validity_from: datetime.datetime | None = expected_version("location")


@strawberry.input(description="A new parent for a current location.")
class MoveLocationInput:
    uuid: UUID = strawberry.field(description="Uuid of the current location to move.")
    parent: UUID | None = strawberry.field(
        description="Uuid of the new parent (one level up); null only for a region."
    )
    expected_validity_from: datetime.datetime | None = expected_version("location")


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
    expected_validity_from: datetime.datetime | None = expected_version("location")


@strawberry.type
class LocationMutation:
    @write_mutation(LocationPayload, "location.add_location", "The new location.")
    def create_location(input: CreateLocationInput, user) -> Location:
        """Create a location. Needs location.add_location (and
        location.manage_upper_levels for a region or district)."""
        data = input_values(input, ("code", "name", "type", *COUNTS))
        return services.create_location(data, parent=input.parent, user=user)

    @write_mutation(LocationPayload, "location.change_location", "The location and its changes.")
    def update_location(input: UpdateLocationInput, user) -> Location:
        """Change a current location's fields, keeping the old values as history.
        Needs location.change_location (and manage_upper_levels for a region or district)."""
        fields = ("code", "name", *COUNTS, "type")
        changes = input_values(input, fields, required=("code", "name", "type"))
        return services.update_location(
            input.uuid, changes, user=user, expected_validity_from=input.expected_validity_from
        )

    @write_mutation(LocationPayload, "location.change_location", "The location and its new parent.")
    def move_location(input: MoveLocationInput, user) -> Location:
        """Give a current location a new parent, keeping history.
        Needs location.change_location (and manage_upper_levels for a region or district)."""
        return services.move_location(
            input.uuid,
            input.parent,
            user=user,
            expected_validity_from=input.expected_validity_from,
        )

    @write_mutation(LocationPayload, "location.delete_location", "The location to delete.")
    def delete_location(input: DeleteLocationInput, user) -> Location:
        """Delete a current location (sets validityTo; nothing is removed).
        Refused while it has current children (unless newParent or descendants is given)
        or while another module still refers to it (unless references says otherwise);
        one transaction. Needs location.delete_location (and
        manage_upper_levels for a region or district)."""
        return services.delete_location(
            input.uuid,
            new_parent=input.new_parent,
            descendants=input.descendants,
            references=input.references.value,
            reassign_to=input.reassign_to,
            user=user,
            expected_validity_from=input.expected_validity_from,
        )
