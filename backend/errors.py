"""Errors a caller can act on, shared by every module.

:class:`ValidationFailed` carries a list of :class:`FieldError` (input field, stable
code, message); mutations return them as data in their payload (``errors``).
:class:`UserInputError` is a request-level problem (a page size above the maximum, a bad
cursor): its message reaches the client even when unexpected errors are masked.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied


@dataclass(frozen=True)
class FieldError:
    """One problem with the input.

    ``field``: the input field (camelCase as in GraphQL, e.g. ``"parent"``), or None for
    the input as a whole. ``code``: a stable upper-case code (``REQUIRED``, ``TOO_LONG``,
    ``NOT_FOUND`` …; each module documents its codes). ``message``: for people.
    """

    field: str | None
    code: str
    message: str


class ValidationFailed(Exception):
    """The input breaks one or more rules; nothing was written."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class UserInputError(ValueError):
    """A request the client must change (shown to clients even when errors are masked)."""


def require_permission(user, permission: str, what: str) -> None:
    """Raise ``PermissionDenied`` ("You need the permission 'x' to <what>.") unless
    ``user`` has the Django permission ``permission`` (``"app_label.codename"``)."""
    if not user.has_perm(permission):
        raise PermissionDenied(f"You need the permission {permission!r} to {what}.")
