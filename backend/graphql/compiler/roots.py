"""The root fields the compiler knows: a Relay connection (``locations``,
:mod:`.pages`), an object by its arguments (``location(uuid:)``) and ``node(id:)``.

Each checks what the general path would refuse before compiling, and raises
:class:`~backend.graphql.compiler.objects.Unsupported` for it (a page above the
maximum, a cursor of another format, an unknown uuid in a filter: anything the queryset
function raises), so the general path answers with its error.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Expression, QuerySet
from graphql import GraphQLField, GraphQLObjectType, get_named_type
from graphql.execution.collect_fields import FieldDetailsList
from strawberry.relay import GlobalID

from backend.graphql.compiler import sql
from backend.graphql.compiler.objects import (
    Compilation,
    Unsupported,
    field_arguments,
    object_json,
    strawberry_field_of,
)
from backend.graphql.compiler.pages import PAGING, connection_json
from backend.graphql.compiler.sources import ConnectionRows, ObjectRows, source_of
from backend.graphql.instants import Selection
from backend.rights import readable


def root_value(
    compilation: Compilation, gtype: GraphQLObjectType, gfield: GraphQLField, details
) -> Expression:
    """The SQL expression of one root field (``gtype`` is the query type)."""
    strawberry_field = strawberry_field_of(gfield)
    if strawberry_field is None:
        raise Unsupported("a root field without definition")
    for permission_class in strawberry_field.permission_classes:
        compilation.require(getattr(permission_class, "required", None))
    arguments = field_arguments(compilation, strawberry_field, gfield, details)
    source = source_of(strawberry_field)
    named = get_named_type(gfield.type)
    if isinstance(source, ConnectionRows):
        filters = {k: v for k, v in arguments.items() if k not in PAGING}
        rows = _rows(source.rows, compilation, filters, details)
        return connection_json(compilation, named, details, rows, arguments)
    if isinstance(source, ObjectRows):
        rows = _rows(source.rows, compilation, arguments)
        return sql.first_value(
            rows.values(_json=object_json(compilation, named, details, rows.model))
        )
    if strawberry_field.python_name == "node" and set(arguments) == {"id"}:
        return node_json(compilation, details, arguments["id"])
    raise Unsupported(f"root field {gfield}")


def _rows(function, compilation: Compilation, arguments: dict[str, Any], details=None) -> QuerySet:
    """``function(info, **arguments)``; :class:`Unsupported` when it refuses the input.
    ``details``: the root field's selection, given to ``function`` as ``info.selection``
    (:class:`~backend.graphql.instants.Selection`), as the general path's ``info`` has it."""
    info = compilation.info
    if details is not None:
        executor = compilation.executor
        fragments = {name: f.definition for name, f in executor.fragments.items()}
        info.selection = Selection(executor.schema, fragments, [d.node for d in details])
    try:
        return function(info, **arguments)
    except Exception as error:  # the general path raises it again, as its error
        raise Unsupported(f"rows: {error}") from error


def node_json(compilation: Compilation, details: FieldDetailsList, global_id: Any) -> Expression:
    """``node(id:)``: the object of a global id of a ``GuardedNode`` type, by the same
    checks and rows as its ``resolve_nodes`` (view permission, key, the model's rows the
    user may read: district rights)."""
    if not isinstance(global_id, GlobalID):
        raise Unsupported("node id")
    definition = compilation.schema.get_type_by_name(global_id.type_name)
    origin = getattr(definition, "origin", None)
    model = getattr(getattr(origin, "__strawberry_django_definition__", None), "model", None)
    permission = getattr(origin, "view_permission", None)
    if model is None or permission is None or definition.is_interface:
        raise Unsupported("node type")
    compilation.require(permission)
    try:
        origin._check_ids([global_id.node_id])
    except Exception as error:
        raise Unsupported("node key") from error
    gtype = compilation.executor.schema.get_type(global_id.type_name)
    rows = readable(model._default_manager.all(), compilation.request.user)
    return first_object(compilation, rows.filter(pk=int(global_id.node_id)), gtype, details)


def first_object(compilation, rows: QuerySet, gtype: GraphQLObjectType, details) -> Expression:
    """The JSON of the first row of ``rows`` for the selection, or null without a row."""
    return sql.first_value(rows.values(_json=object_json(compilation, gtype, details, rows.model)))
