"""Which errors reach clients when errors are masked, and the logging of the others.

Unexpected errors (bugs, database outages) are masked outside debug mode ("Unexpected
error.") and logged with their traceback (logger ``backend.graphql``).
"""

from __future__ import annotations

import logging

import strawberry
from django.core.exceptions import PermissionDenied
from graphql import GraphQLError
from strawberry.relay.types import GlobalIDValueError

from backend.errors import UserInputError

from .permissions import NotAuthenticated

logger = logging.getLogger("backend.graphql")

#: Exceptions whose message is meant for the client (GlobalIDValueError: a global id
#: naming no type of the schema).
EXPECTED_ERRORS = (
    UserInputError,
    PermissionDenied,
    NotAuthenticated,
    GraphQLError,
    GlobalIDValueError,
)


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


class Schema(strawberry.Schema):
    """strawberry's schema, logging only unexpected errors (with their traceback)."""

    def process_errors(self, errors, execution_context=None) -> None:
        log_errors(errors)
