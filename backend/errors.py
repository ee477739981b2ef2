"""Errors a caller can act on, shared by every module.

:class:`ValidationFailed` carries a list of :class:`FieldError` (input field, stable
code, message); mutations return them as data in their payload (``errors``).
:class:`UserInputError` is a request-level problem (a page size above the maximum, a bad
cursor): its message reaches the client even when unexpected errors are masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError, ProgrammingError
from psycopg import OperationalError as PsycopgOperationalError

#: Exceptions of a database fault (Django's wrappers, and psycopg's own for the
#: connection pool, which Django does not wrap: ``psycopg_pool.PoolTimeout``).
DATABASE_FAULTS = (OperationalError, InterfaceError, PsycopgOperationalError)

#: PostgreSQL's SQLSTATEs of a schema behind the code (a migration not applied):
#: ``undefined_table`` and ``undefined_column`` (PostgreSQL, "Appendix A. PostgreSQL
#: Error Codes"). SQLite reports these as an ``OperationalError`` ("no such table").
NOT_MIGRATED_STATES = ("42P01", "42703")


@dataclass(frozen=True)
class FieldError:
    """One problem with the input.

    ``field``: the input field (camelCase as in GraphQL, e.g. ``"parent"``), or None for
    the input as a whole. ``code``: a stable upper-case code (``REQUIRED``, ``TOO_LONG``,
    ``NOT_FOUND`` …; each module documents its codes). ``message``: for people.
    ``facts``: for a message made by :meth:`advised`, its part that states what is
    wrong, without the advice on what to send instead (which names one surface's
    arguments: another surface words its own, as FHIR's refused deletes do); else None.
    """

    field: str | None
    code: str
    message: str
    facts: str | None = field(default=None, compare=False)

    @classmethod
    def advised(cls, field: str | None, code: str, facts: str, advice: str) -> FieldError:
        """The error whose message is ``"<facts>; <advice>"``, keeping ``facts`` apart."""
        return cls(field, code, f"{facts}; {advice}", facts)

    @property
    def attname(self) -> str | None:
        """The model attribute the field names, in snake_case (``malePopulation`` ->
        ``male_population``; a relation's name, ``parent``, stays as it is); None for
        the input as a whole."""
        return None if self.field is None else _CAPITAL.sub(r"_\1", self.field).lower()


#: A capital letter after the first character (camelCase -> snake_case).
_CAPITAL = re.compile(r"(?<!^)([A-Z])")


class ValidationFailed(Exception):
    """The input breaks one or more rules; nothing was written."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class UserInputError(ValueError):
    """A request the client must change (shown to clients even when errors are masked).

    ``code`` is the ``extensions.code`` of the GraphQL error it becomes (README, "Error
    codes"); ``argument``, when given, the input it refuses, a value a person typed
    (``"filter.search"``), becomes its ``extensions.argument`` (:attr:`extensions`), so
    that a client tells it from a value of its own making (a cursor, a page size).
    """

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, argument: str | None = None):
        super().__init__(message)
        self.extensions = {"argument": argument} if argument else {}

    def within(self, argument: str) -> UserInputError:
        """This error with the input it names placed inside the field argument
        ``argument``: ``expectedValidityFrom``, refused by a service that knows no
        GraphQL, becomes ``input.expectedValidityFrom`` (README "Error codes": the name
        starts at the field's argument). Returns the error itself, changed; one naming
        no input is left as it is."""
        named = self.extensions.get("argument")
        if named:
            self.extensions = {**self.extensions, "argument": f"{argument}.{named}"}
        return self


class LimitExceeded(UserInputError):
    """A request above one of the configured limits (page size, nodes, variables …)."""

    code = "LIMIT_EXCEEDED"


def is_database_fault(error: BaseException) -> bool:
    """True for a database that is unreachable, restarting, busy or timed out (a
    connection lost or refused, a lock or statement timeout, an exhausted pool), or not
    migrated yet (a table or column the code reads is missing: :data:`NOT_MIGRATED_STATES`,
    SQLite's ``no such table``; the operator runs ``manage.py migrate``).

    Such a request did not complete and changed nothing (its transaction rolled back):
    the client may retry it. Every surface answers it 503 with ``Retry-After``
    (:func:`backend.views.error_response`; README, "Error codes", ``SERVICE_UNAVAILABLE``).
    """
    if isinstance(error, ProgrammingError):
        return getattr(error.__cause__, "sqlstate", None) in NOT_MIGRATED_STATES
    return isinstance(error, DATABASE_FAULTS)
