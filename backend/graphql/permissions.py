"""Field permissions on Django's model permissions (``app_label.codename``).

``HasPerm("location.view_location")`` is a strawberry permission class: anonymous callers
get "Authentication required", authenticated callers without the permission get
"Permission denied: you need '<perm>'". Query fields, relation fields that cross into
another module (``Location.payers`` needs ``payer.view_payer``) and mutations use it.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import strawberry
from django.core.exceptions import PermissionDenied
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types.base import StrawberryObjectDefinition
from strawberry_django.relay.utils import resolve_model_node, resolve_model_nodes

from backend.errors import UserInputError

NOT_AUTHENTICATED = (
    "Authentication required: log in (Django session, /accounts/login/) or send "
    "'Authorization: Bearer <token>'."
)


def current_user(info: strawberry.Info) -> Any:
    """The Django user of the request (``AnonymousUser`` when nobody is logged in)."""
    return info.context.request.user


class NotAuthenticated(PermissionError):
    """No user: neither a session nor a valid bearer token."""


def check_perm(user: Any, permission: str) -> bool:
    """True when ``user`` is authenticated and has ``permission``.

    Raises :class:`NotAuthenticated` for an anonymous user, so the message says what to do.
    """
    if not user.is_authenticated:
        raise NotAuthenticated(NOT_AUTHENTICATED)
    return user.has_perm(permission)


def required_scope(permission: str) -> str:
    """The OAuth2 scope a bearer token needs for ``permission``: ``read`` for a view
    permission, ``write`` for any other (add, change, delete, manage)."""
    return "read" if permission.partition(".")[2].startswith("view_") else "write"


def authorize(info: strawberry.Info, permission: str) -> bool:
    """True when the request may use ``permission``: its user has it and, for a bearer
    token, the token's scopes include :func:`required_scope` (else ``PermissionDenied``).

    Raises :class:`NotAuthenticated` for an anonymous request.
    """
    request = info.context.request
    allowed = check_perm(request.user, permission)
    scopes = getattr(request, "oauth_scopes", None)  # set by the view for bearer tokens
    if allowed and scopes is not None and required_scope(permission) not in scopes:
        raise PermissionDenied(
            f"The bearer token's scope does not include {required_scope(permission)!r} "
            f"(it has: {' '.join(sorted(scopes)) or 'none'})."
        )
    return allowed


@functools.cache
def HasPerm(permission: str) -> type[BasePermission]:
    """A permission class requiring the Django permission ``permission``."""

    class HasPermission(BasePermission):
        message = f"Permission denied: you need {permission!r}."
        error_extensions = {"code": "FORBIDDEN"}

        def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
            return authorize(info, permission)

    HasPermission.__name__ = HasPermission.__qualname__ = f"HasPerm[{permission}]"
    return HasPermission


def require_perm(info: strawberry.Info, permission: str) -> None:
    """Raise unless the request may use ``permission`` (see :func:`authorize`)."""
    if not authorize(info, permission):
        raise PermissionDenied(f"Permission denied: you need {permission!r}.")


class GuardedNode(relay.Node):
    """A Relay node whose ``node(id:)`` lookup needs ``view_permission``.

    Subclass it instead of ``relay.Node`` in a strawberry-django type and set
    ``view_permission = "app_label.view_model"``.
    """

    view_permission: ClassVar[str]

    @classmethod
    def resolve_node(cls, node_id: str, *, info: strawberry.Info, required: bool = False):
        require_perm(info, cls.view_permission)
        cls._check_ids([node_id])
        return resolve_model_node(cls, node_id, info=info, required=required)

    @classmethod
    def resolve_nodes(cls, *, info: strawberry.Info, node_ids, required: bool = False):
        require_perm(info, cls.view_permission)
        if node_ids is not None:
            node_ids = list(node_ids)
            cls._check_ids(node_ids)
        return resolve_model_nodes(cls, info=info, node_ids=node_ids, required=required)

    @classmethod
    def _check_ids(cls, node_ids) -> None:
        """Keys of this project's global ids are positive integers (primary keys)."""
        for node_id in node_ids:
            key = str(getattr(node_id, "node_id", node_id))
            # at most 19 digits: int() of a longer text costs time (and raises above 4,300)
            if not (key.isascii() and key.isdigit() and len(key) <= 19 and int(key) < 2**63):
                name = cls.__strawberry_definition__.name
                raise UserInputError(f"{key!r} is not the key of a {name} global id.")


class GlobalIdTypeCheck(FieldExtension):
    """Refuse a global id whose type is no object type with a ``node(id:)`` lookup.

    strawberry accepts any Node type in the id, the ``Node`` interface itself included
    (which has no lookup: a server error); this makes it a ``UserInputError`` naming the
    type, before resolution. For the ``id`` argument of ``node``.
    """

    def resolve(self, next_, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        global_id = kwargs.get("id")
        type_name = getattr(global_id, "type_name", None)
        if type_name is not None:
            definition = info.schema.get_type_by_name(type_name)
            origin = getattr(definition, "origin", None)
            if not (
                isinstance(definition, StrawberryObjectDefinition)
                and not definition.is_interface
                and isinstance(origin, type)
                and issubclass(origin, GuardedNode)
            ):
                raise UserInputError(
                    f"{type_name!r} is not a type of object with a global id "
                    "(the id must come from an object's 'id' field)."
                )
        return next_(source, info, **kwargs)
