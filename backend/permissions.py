"""Permissions: the one home of the rules and the one style of their messages.

Every surface (GraphQL fields and mutations, the services, the admin, FHIR, JSON:API)
checks Django model permissions (``"app_label.codename"``) through these functions, so a
caller is told the same thing everywhere:

- anonymous: :data:`NOT_AUTHENTICATED` (:class:`NotAuthenticated`);
- missing permission: ``Permission denied: you need 'x'.`` or, where the action is
  known, ``Permission denied: you need 'x' to <action>.`` (:func:`denied`);
- a bearer token without the scope the permission needs: a message naming the scope.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.core.exceptions import PermissionDenied

NOT_AUTHENTICATED = (
    "Authentication required: log in (Django session, /accounts/login/) or send "
    "'Authorization: Bearer <token>'."
)


class NotAuthenticated(PermissionError):
    """No user: neither a session nor a valid bearer token."""


def denied(permission: str, action: str | None = None) -> str:
    """The message for a caller without ``permission`` (``action``: what it is needed
    for, e.g. ``"create locations"``)."""
    return f"Permission denied: you need {permission!r}" + (f" to {action}." if action else ".")


def required_scope(permission: str) -> str:
    """The OAuth2 scope a bearer token needs for ``permission``: ``read`` for a view
    permission, ``write`` for any other (add, change, delete, manage)."""
    return "read" if permission.partition(".")[2].startswith("view_") else "write"


def has_permission(user: Any, permission: str, *, scopes: Collection[str] | None = None) -> bool:
    """True when ``user`` has ``permission`` (and, for a bearer token whose ``scopes``
    are given, the token has :func:`required_scope`).

    Raises :class:`NotAuthenticated` for an anonymous user, and ``PermissionDenied``
    naming the scope when the user has the permission but the token lacks the scope.
    """
    if not user.is_authenticated:
        raise NotAuthenticated(NOT_AUTHENTICATED)
    allowed = user.has_perm(permission)
    if allowed and scopes is not None and required_scope(permission) not in scopes:
        raise PermissionDenied(
            f"The bearer token's scope does not include {required_scope(permission)!r} "
            f"(it has: {' '.join(sorted(scopes)) or 'none'})."
        )
    return allowed


def require_permission(
    user: Any, permission: str, action: str | None = None, *, scopes: Collection[str] | None = None
) -> None:
    """Raise unless ``user`` may use ``permission`` (see :func:`has_permission`):
    ``PermissionDenied`` with :func:`denied`'s message, or :class:`NotAuthenticated`."""
    if not has_permission(user, permission, scopes=scopes):
        raise PermissionDenied(denied(permission, action))
