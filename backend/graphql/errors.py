"""Mutation errors as data.

A mutation returns ``errors: [UserError!]!`` in its payload: the problems a caller can
act on (:class:`backend.errors.FieldError`). Which errors are masked and logged:
:mod:`backend.graphql.error_logging`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import strawberry

from backend.errors import FieldError, ValidationFailed

T = TypeVar("T")


@strawberry.type(
    name="UserError",
    description="A problem with a mutation's input that the caller can fix.",
)
class UserErrorType:
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase), or null for the input as a whole."
    )
    code: str = strawberry.field(
        description="Stable machine-readable code, e.g. REQUIRED, TOO_LONG, NOT_FOUND."
    )
    message: str = strawberry.field(description="Explanation for people.")

    @classmethod
    def from_error(cls, error: FieldError) -> UserErrorType:
        return cls(field=error.field, code=error.code, message=error.message)


def attempt(action: Callable[[], T]) -> tuple[T | None, list[UserErrorType]]:
    """Run a write; return ``(result, [])`` or ``(None, errors)`` when it was refused.

    :class:`ValidationFailed` becomes the error list (its transaction was rolled back);
    ``PermissionDenied`` and other exceptions propagate as GraphQL errors.
    """
    try:
        return action(), []
    except ValidationFailed as failure:
        return None, [UserErrorType.from_error(e) for e in failure.errors]
