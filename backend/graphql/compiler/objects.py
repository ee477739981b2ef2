"""The JSON of one object of a Django model, for a selection over its GraphQL type.

:func:`object_json` walks the selection the way the executor does (graphql-core's field
collection: fragments, inline fragments, type conditions, ``@include``/``@skip``,
aliases, repeated fields merged) and turns every field into an SQL expression over the
row: a column (scalars, enums, global ids), the related object (a many-to-one
relation: a correlated subquery, or a join built once per key, :mod:`.grouped`), an
array of the related rows (a one-to-many list), a page of them (a connection over a
relation, :mod:`.pages`) or a count. It reads what
the schema already knows: the strawberry-django field (the model attribute it reads)
and the row source the core's field factories attached
(:mod:`backend.graphql.compiler.sources`). Anything else raises :class:`Unsupported`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db.models import Expression, F, Model, OuterRef
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query_utils import DeferredAttribute
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from strawberry.permission import PermissionExtension
from strawberry.relay import GlobalID
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryContainer

from backend.graphql.compiler import sql
from backend.graphql.compiler.grouped import GroupedValue
from backend.graphql.compiler.sources import (
    RelatedConnection,
    RelatedCount,
    RelatedRows,
    RowValue,
    source_of,
)
from backend.graphql.readable_refs import ReadableRef, readable_ref
from backend.permissions import has_permission
from backend.references import readable_referred


class Unsupported(Exception):
    """The operation cannot be compiled; the general executor answers it."""


#: Scalars whose value json_build_object writes as the general path serializes it.
PLAIN_SCALARS = frozenset({"String", "Int", "Boolean", "ID", "UUID"})
FORMATTED_SCALARS = {"DateTime": sql.IsoDateTime, "Date": sql.IsoDate}


@dataclass
class Compilation:
    """What one compilation needs: the executor's view of the operation (fragments,
    coerced variables), the strawberry schema, the request (user, token scopes), and
    the permissions already checked."""

    executor: Executor
    schema: Any
    request: Any
    checked: dict[str, bool] = field(default_factory=dict)

    @property
    def info(self) -> Any:
        """What the queryset functions read of strawberry's ``Info``: the request."""
        return SimpleNamespace(context=SimpleNamespace(request=self.request))

    def subfields(self, gtype: GraphQLObjectType, details: FieldDetailsList) -> dict:
        """The selection of ``details`` on ``gtype``, by response key (executor rules)."""
        collected = self.executor.collect_subfields(gtype, details)
        if collected.new_defer_usages:
            raise Unsupported("@defer")
        return collected.grouped_field_set

    def allow(self, strawberry_field: Any, gfield: GraphQLField) -> None:
        """Raise :class:`Unsupported` unless the request holds every permission of the
        field (its ``HasPerm`` classes) and the field has no other field extension than
        the permission check and the district rights of a reference (another would
        change the value in a way SQL does not)."""
        for extension in strawberry_field.extensions:
            if not isinstance(extension, PermissionExtension | ReadableRef):
                raise Unsupported(f"{type(extension).__name__} on {gfield}")
        for permission_class in strawberry_field.permission_classes:
            self.require(getattr(permission_class, "required", None))

    def require(self, permission: str | None) -> None:
        """Raise :class:`Unsupported` unless the request may use ``permission`` (the
        general path then answers with its FORBIDDEN/UNAUTHENTICATED error)."""
        if permission is None:
            raise Unsupported("a permission class the compiler cannot evaluate")
        if permission not in self.checked:
            scopes = getattr(self.request, "oauth_scopes", None)
            try:
                self.checked[permission] = has_permission(
                    self.request.user, permission, scopes=scopes
                )
            except Exception as error:  # anonymous: NotAuthenticated
                raise Unsupported(str(error)) from error
        if not self.checked[permission]:
            raise Unsupported(f"no {permission}")


def strawberry_field_of(gfield: GraphQLField) -> Any:
    """The strawberry field behind a graphql-core field (None for introspection)."""
    return (gfield.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)


def field_arguments(compilation: Compilation, strawberry_field, gfield, details) -> dict[str, Any]:
    """The field's arguments as its resolver receives them (strawberry's conversion of
    graphql-core's coerced values: input objects, enums, scalars), by Python name."""
    first = details[0]
    if any(d.node.arguments != first.node.arguments for d in details[1:]):
        raise Unsupported("one response key with different arguments")
    try:
        values = get_argument_values(
            gfield,
            first.node,
            compilation.executor.variable_values,
            first.fragment_variable_values,
        )
        return convert_arguments(
            values,
            strawberry_field.arguments,
            scalar_registry=compilation.schema.schema_converter.scalar_registry,
            config=compilation.schema.config,
        )
    except Exception as error:
        raise Unsupported(f"arguments: {error}") from error


def object_json(
    compilation: Compilation, gtype: GraphQLObjectType, details: FieldDetailsList, model
) -> Expression:
    """``json_build_object(…)`` of the selection ``details`` on ``gtype`` for a row of
    ``model`` (the query's own row: columns are plain references)."""
    pairs = []
    for key, field_details in compilation.subfields(gtype, details).items():
        name = field_details[0].node.name.value
        if name == "__typename":
            pairs.append((key, sql.text_literal(gtype.name)))
            continue
        gfield = gtype.fields[name]
        pairs.append((key, field_value(compilation, gtype, gfield, field_details, model)))
    return sql.JsonObject(pairs)


def field_value(
    compilation: Compilation,
    gtype: GraphQLObjectType,
    gfield: GraphQLField,
    details: FieldDetailsList,
    model: type[Model],
) -> Expression:
    """The SQL expression of one field of a ``model`` row (see the module docstring)."""
    strawberry_field = strawberry_field_of(gfield)
    if strawberry_field is None:
        raise Unsupported(f"{gtype.name}: a field without definition")
    compilation.allow(strawberry_field, gfield)
    named = get_named_type(gfield.type)
    source = source_of(strawberry_field)
    if isinstance(source, RelatedConnection):
        # an object holds connections, a connection objects: the modules recurse
        from backend.graphql.compiler.pages import connection_json

        arguments = field_arguments(compilation, strawberry_field, gfield, details)
        rows = source.rows(compilation.info)
        link = model._meta.get_field(source.relation).field.name
        rows = rows.filter(**{link: OuterRef("pk")})
        return connection_json(compilation, named, details, rows, arguments)
    if details[0].node.arguments or gfield.args:
        raise Unsupported(f"arguments on {gtype.name}.{gfield}")
    if isinstance(source, RelatedRows):
        rows = source.queryset(compilation.info)
        link = model._meta.get_field(source.relation).field.name
        inner = object_json(compilation, named, details, rows.model)
        return sql.JsonArray(rows.filter(**{link: OuterRef("pk")}).values(_json=inner))
    if isinstance(source, RelatedCount | RowValue):
        return source.expression(compilation.info)
    if _is_global_id(strawberry_field):
        return global_id(gtype.name)
    if strawberry_field.base_resolver is not None or not hasattr(strawberry_field, "django_name"):
        raise Unsupported(f"{gtype.name}.{gfield}: a resolver")
    attribute = getattr(model, strawberry_field.django_name or strawberry_field.python_name, None)
    if type(attribute) is ForwardManyToOneDescriptor:
        relation = attribute.field
        related = relation.related_model
        inner = object_json(compilation, named, details, related)
        rows = related._default_manager.order_by()  # one row per key at most: no sort
        if readable_ref(strawberry_field):  # null for a row the user may not read
            rows = readable_referred(rows, relation, compilation.request.user)
        # built once per distinct key of the rows that read it (:mod:`.grouped`)
        return GroupedValue(rows, relation.target_field.attname, relation.attname, inner)
    if type(attribute) is DeferredAttribute:
        return column_value(named, F(attribute.field.attname))
    raise Unsupported(f"{gtype.name}.{gfield}: not a column or relation")


def column_value(named: Any, column: Expression) -> Expression:
    """A column as the general path serializes the GraphQL type ``named``."""
    if isinstance(named, GraphQLEnumType):
        return sql.EnumName(column, {value.value: name for name, value in named.values.items()})
    if isinstance(named, GraphQLScalarType):
        if named.name in PLAIN_SCALARS:
            return column
        if named.name in FORMATTED_SCALARS:
            return FORMATTED_SCALARS[named.name](column)
    raise Unsupported(f"type {named}")


def global_id(type_name: str) -> Expression:
    """The Relay global id of the row (strawberry's ``to_base64(type_name, pk)``)."""
    return sql.Base64(sql.prefixed(type_name, F("pk")))


def _is_global_id(strawberry_field: Any) -> bool:
    type_ = strawberry_field.type
    while isinstance(type_, StrawberryContainer):
        type_ = type_.of_type
    # relay.Node's own ``id`` field (``Node._id``): the row's primary key
    return type_ is GlobalID and strawberry_field.python_name in ("id", "_id")
