"""Mutation errors as data, and which errors reach clients when errors are masked.

A mutation returns ``errors: [UserError!]!`` in its payload: the problems a caller can
act on (:class:`backend.errors.FieldError`). Unexpected errors (bugs, database outages)
are masked outside debug mode ("Unexpected error.") and logged with their traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import strawberry
from django.core.exceptions import PermissionDenied
from graphql import GraphQLError
from strawberry.relay.types import GlobalIDValueError

from backend.errors import FieldError, UserInputError, ValidationFailed

from .permissions import NotAuthenticated

logger = logging.getLogger("backend.graphql")
T = TypeVar("T")

#: Exceptions whose message is meant for the client (GlobalIDValueError: a global id
#: naming no type of the schema).
EXPECTED_ERRORS = (
    UserInputError,
    PermissionDenied,
    NotAuthenticated,
    GraphQLError,
    GlobalIDValueError,
)


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


def is_unexpected(error: GraphQLError) -> bool:
    """True for errors that come from a bug or an outage, not from the request."""
    original = error.original_error
    if original is None:  # syntax and validation errors
        return False
    return not isinstance(original, EXPECTED_ERRORS)


def log_errors(errors: list[GraphQLError]) -> None:
    """Log unexpected errors with their traceback; request errors are not logged."""
    for error in errors:
        if is_unexpected(error):
            logger.error(
                "Unexpected error in %s: %s",
                ".".join(map(str, error.path or ())) or "the operation",
                error.message,
                exc_info=error.original_error,
            )
