"""Permissions in GraphQL: the adapters of :mod:`backend.permissions` (the rules and
their messages) to strawberry.

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
from graphql import DocumentNode, GraphQLSchema, TypeInfo, TypeInfoVisitor, Visitor, visit
from strawberry import relay
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry_django.optimizer import optimize
from strawberry_django.utils.typing import get_django_definition

from backend.errors import UserInputError
from backend.permissions import denied, has_permission
from backend.rights import readable


def current_user(info: strawberry.Info) -> Any:
    """The Django user of the request (``AnonymousUser`` when nobody is logged in)."""
    return info.context.request.user


def authorize(info: strawberry.Info, permission: str) -> bool:
    """True when the request may use ``permission``: :func:`backend.permissions.has_permission`
    with the request's user and, for a bearer token, its scopes (set by the view).

    Raises ``NotAuthenticated`` for an anonymous request.
    """
    request = info.context.request
    return has_permission(request.user, permission, scopes=getattr(request, "oauth_scopes", None))


@functools.cache
def HasPerm(permission: str) -> type[BasePermission]:
    """A permission class requiring the Django permission ``permission``."""

    class HasPermission(BasePermission):
        message = denied(permission)
        error_extensions = {"code": "FORBIDDEN"}

        def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
            return authorize(info, permission)

    HasPermission.__name__ = HasPermission.__qualname__ = f"HasPerm[{permission}]"
    return HasPermission


def require_perm(info: strawberry.Info, permission: str) -> None:
    """Raise unless the request may use ``permission`` (see :func:`authorize`)."""
    if not authorize(info, permission):
        raise PermissionDenied(denied(permission))


class GuardedNode(relay.Node):
    """A Relay node whose ``node(id:)`` lookup needs ``view_permission`` and finds only
    the rows the user may read (district rights, :func:`backend.rights.readable`: a row
    outside them is null, as an unknown id).

    Subclass it instead of ``relay.Node`` in a strawberry-django type and set
    ``view_permission = "app_label.view_model"``.
    """

    view_permission: ClassVar[str]

    @classmethod
    def resolve_node(cls, node_id: str, *, info: strawberry.Info, required: bool = False):
        return cls.resolve_nodes(info=info, node_ids=[node_id], required=required)[0]

    @classmethod
    def resolve_nodes(cls, *, info: strawberry.Info, node_ids, required: bool = False):
        """The rows of these global ids' keys, in their order (None for a key no
        readable row has; ``required``: ``DoesNotExist`` instead); without ids, every
        readable row. One query."""
        require_perm(info, cls.view_permission)
        model = get_django_definition(cls, strict=True).model
        rows = readable(model._default_manager.all(), current_user(info))
        if node_ids is None:
            return optimize(rows, info)
        keys = [str(getattr(node_id, "node_id", node_id)) for node_id in node_ids]
        cls._check_ids(keys)
        found = {str(row.pk): row for row in optimize(rows.filter(pk__in=keys), info)}
        if required and len(found) < len(set(keys)):
            missing = ", ".join(key for key in keys if key not in found)
            raise model.DoesNotExist(f"No {model._meta.verbose_name} has key {missing}.")
        return [found.get(key) for key in keys]

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


def _guarded_type(graphql_type: Any) -> bool:
    """True for an object type whose class declares a ``view_permission``."""
    definition = (getattr(graphql_type, "extensions", None) or {}).get(
        GraphQLCoreConverter.DEFINITION_BACKREF
    )
    return getattr(getattr(definition, "origin", None), "view_permission", None) is not None


def fields_read(schema: GraphQLSchema, document: DocumentNode) -> list[str]:
    """``Type.field`` of every field the document selects on a type with a view
    permission (the data a request reads), in document order, each once. Visits the
    document once (fragments once each, not per spread)."""
    type_info = TypeInfo(schema)
    found: dict[str, None] = {}

    class Reads(Visitor):
        def enter_field(self, node, *args):
            parent = type_info.get_parent_type()
            if not node.name.value.startswith("__") and _guarded_type(parent):
                found.setdefault(f"{parent.name}.{node.name.value}")

    visit(document, TypeInfoVisitor(type_info, Reads()))
    return list(found)


class ReadScopeCheck(SchemaExtension):
    """A bearer token without the ``read`` scope reads no data, mutation payloads
    included: a request selecting any field of a type with a view permission
    (``Location.code``, ``Payer.email`` …) is refused before execution (FORBIDDEN),
    so nothing is written either. ``errors`` and ``__typename`` remain allowed."""

    def on_execute(self):
        context = self.execution_context
        request = getattr(context.context, "request", None)
        scopes = getattr(request, "oauth_scopes", None)
        if scopes is not None and "read" not in scopes and context.graphql_document:
            reads = fields_read(context.schema._schema, context.graphql_document)
            if reads:
                raise PermissionDenied(
                    "The bearer token's scope does not include 'read', so it cannot read "
                    f"{', '.join(reads[:5])}{' …' if len(reads) > 5 else ''}: ask only "
                    "for errors, or use a token with the read scope."
                )
        yield
