"""Every GraphQL error gets a code; unexpected ones are masked and logged.

One mechanism for every error of a response, whatever raised it (parser, validation,
guard rails, resolvers, the federation ``_entities`` field): :func:`report_errors` gives
each error ``extensions.code`` (README, "Error codes"), logs the unexpected ones with
their traceback (logger ``backend.graphql``) and, outside ``DEBUG``, replaces their
message with "Unexpected error.". Database faults are not bugs: they keep a message
saying to retry and the code ``SERVICE_UNAVAILABLE``; the view then answers 503 with
``Retry-After``.
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from django.conf import settings
from django.core.exceptions import PermissionDenied
from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.relay.types import GlobalIDValueError

from backend.errors import UserInputError, is_database_fault
from backend.graphql.input_paths import name_variable_inputs
from backend.permissions import NotAuthenticated

logger = logging.getLogger("backend.graphql")

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

#: Codes of errors whose message is meant for the client.
EXPECTED_CODES = frozenset(
    {UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, LIMIT_EXCEEDED}
    | {PARSE_FAILED, VALIDATION_FAILED}
)

UNEXPECTED_MESSAGE = "Unexpected error."
RETRY_MESSAGE = "The database is unavailable or busy; nothing was changed. Retry shortly."

#: Messages of strawberry's guard rails (depth, aliases, tokens), which carry no code,
#: and the setting of each (which :func:`report_errors` adds to the message, as the
#: limits of this project name theirs).
_LIMIT_MESSAGES = {
    "exceeds maximum operation depth": "GRAPHQL_MAX_DEPTH",
    "aliases found. Allowed:": "GRAPHQL_MAX_ALIASES",
    "tokens. Parsing aborted.": "GRAPHQL_MAX_TOKENS",
}


def naming_the_setting(message: str) -> str:
    """A guard rail's message with its setting named: "'anonymous' exceeds maximum
    operation depth of 12 (GRAPHQL_MAX_DEPTH)."; any other message as it is."""
    for text, setting in _LIMIT_MESSAGES.items():
        if text in message and setting not in message:
            if message.endswith(" Parsing aborted."):  # the parser's: "… 2000 tokens."
                head = message.removesuffix(" Parsing aborted.").removesuffix(".")
                return f"{head} ({setting}). Parsing aborted."
            return f"{message.removesuffix('.')} ({setting})."
    return message


#: graphql-core's coercion messages speak Python of the JSON null a client sent
#: ("Expected value of non-null type 'String!' not to be None."); the client's word is null.
_PYTHON_NULL = " not to be None."


def in_graphql_terms(message: str) -> str:
    """A graphql-core coercion message in the client's terms: "… not to be None." ->
    "… not to be null." (a variable or argument given ``null`` where the type is
    non-null); any other message unchanged."""
    if message.endswith(_PYTHON_NULL):
        return message.removesuffix(_PYTHON_NULL) + " not to be null."
    return message


def error_code(error: GraphQLError, *, executed: bool = True) -> str:
    """The ``extensions.code`` of ``error``: the one it carries, else one from its cause.

    ``executed``: whether ``error`` came from the execution (False: from parsing or
    validation, which run before it). A variable's error without a path is a coercion
    error (BAD_USER_INPUT: a value that does not fit its type, a required variable not
    given) only from the execution; before it, validation's ("Variable '$v' is never
    used.") is GRAPHQL_VALIDATION_FAILED.

    A cause with a ``code`` attribute (:class:`backend.errors.UserInputError` and its
    subclasses) gives it; ``NotAuthenticated`` is UNAUTHENTICATED; ``PermissionDenied``
    FORBIDDEN; a malformed global id or another argument strawberry cannot convert
    while executing (``StrawberryInputCoercionError``) BAD_USER_INPUT; a database fault
    SERVICE_UNAVAILABLE; any other exception INTERNAL_SERVER_ERROR. Errors without a
    cause come from the parser (GRAPHQL_PARSE_FAILED), the variables' coercion
    (BAD_USER_INPUT), the guard rails (LIMIT_EXCEEDED) or validation
    (GRAPHQL_VALIDATION_FAILED).
    """
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if executed and error.message.startswith("Variable '$") and not error.path:
        return BAD_USER_INPUT  # the variables' coercion, the first step of the execution
    original = error.original_error
    if error.path and isinstance(original, StrawberryInputCoercionError):
        return BAD_USER_INPUT  # an argument strawberry could not convert (a bad global id)
    if isinstance(original, GraphQLError):
        return error_code(original)
    if original is None:
        message = error.message
        if any(text in message for text in _LIMIT_MESSAGES):
            return LIMIT_EXCEEDED
        if message.startswith("Syntax Error"):
            return PARSE_FAILED
        return VALIDATION_FAILED
    code = getattr(original, "code", None)
    if isinstance(original, UserInputError) and isinstance(code, str):
        return code
    if isinstance(original, NotAuthenticated):
        return UNAUTHENTICATED
    if isinstance(original, PermissionDenied):
        return FORBIDDEN
    if isinstance(original, GlobalIDValueError):
        return BAD_USER_INPUT
    if is_database_fault(original):
        return SERVICE_UNAVAILABLE
    return INTERNAL_SERVER_ERROR


def _cause_extensions(error: GraphQLError) -> dict:
    """What the exception behind ``error`` adds to its ``extensions`` (its own
    ``extensions`` attribute: :class:`backend.errors.UserInputError`'s ``argument``,
    :class:`backend.rights.OutsideDistricts`' ``reason``), else nothing."""
    original = error.original_error
    while isinstance(original, GraphQLError):
        original = original.original_error
    extensions = getattr(original, "extensions", None)
    return dict(extensions) if isinstance(extensions, dict) else {}


def report_errors(errors: list[GraphQLError], execution_context: Any = None) -> None:
    """Give each error its code, log the unexpected ones, mask them outside DEBUG, name
    the setting of a guard rail and say null where graphql-core says None
    (:func:`in_graphql_terms`). With strawberry's ``execution_context`` (its schema and
    the request's variables), an error refusing a variable's value names the input in
    ``extensions.argument`` (``i.expectedValidityFrom``,
    :func:`backend.graphql.input_paths.name_variable_inputs`), as a resolver's refusal
    names its argument.

    Without ``execution_context`` every error is taken for one of the execution's.
    Changes the errors in place (they are the ones the response lists).
    """
    schema = getattr(getattr(execution_context, "schema", None), "_schema", None)
    # strawberry reports parsing's and validation's errors before the execution has a
    # result, the execution's (the variables' coercion among them) once it has one
    executed = execution_context is None or execution_context.result is not None
    if schema is not None and executed:
        name_variable_inputs(errors, schema, execution_context.variables or {})
    for error in errors:
        code = error_code(error, executed=executed)
        if code not in EXPECTED_CODES:
            where = ".".join(map(str, error.path or ())) or "the operation"
            if code == SERVICE_UNAVAILABLE:
                logger.warning("Database fault in %s: %s", where, error.message)
                error.message = RETRY_MESSAGE
            else:
                logger.error(
                    "Unexpected error in %s: %s",
                    where,
                    error.message,
                    exc_info=error.original_error,
                )
                if not settings.DEBUG:
                    error.message = UNEXPECTED_MESSAGE
        if code == LIMIT_EXCEEDED:
            error.message = naming_the_setting(error.message)
        if code in (BAD_USER_INPUT, VALIDATION_FAILED):
            error.message = in_graphql_terms(error.message)
        error.extensions = {**(error.extensions or {}), **_cause_extensions(error), "code": code}


def is_retryable(errors: list[GraphQLError] | None) -> bool:
    """True when one of ``errors`` is a database fault (the request may be retried)."""
    return any(error_code(e) == SERVICE_UNAVAILABLE for e in errors or ())


class Schema(strawberry.Schema):
    """strawberry's schema, reporting errors with :func:`report_errors`."""

    def process_errors(self, errors, execution_context=None) -> None:
        report_errors(errors, execution_context)
