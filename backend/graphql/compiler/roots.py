"""The root fields the compiler knows: a Relay connection (``locations``), an object by
its arguments (``location(uuid:)``) and ``node(id:)``.

Each checks what the general path would refuse before compiling, and raises
:class:`~backend.graphql.compiler.objects.Unsupported` for it (a page above the
maximum, a cursor of another format, an unknown uuid in a filter: anything the queryset
function raises, ``before``/``last``), so the general path answers with its error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db.models import Expression, QuerySet
from graphql import GraphQLField, GraphQLObjectType, get_named_type
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from strawberry.relay import GlobalID
from strawberry.types.arguments import convert_arguments

from backend.graphql.compiler import cursors, sql
from backend.graphql.compiler.objects import (
    Compilation,
    Unsupported,
    object_json,
    strawberry_field_of,
)
from backend.graphql.compiler.sources import ConnectionRows, ObjectRows, source_of
from backend.graphql.instants import Selection
from backend.rights import readable

#: Arguments of a connection field that page it (the others go to the rows function).
PAGING = ("first", "after", "last", "before")


def root_value(
    compilation: Compilation, gtype: GraphQLObjectType, gfield: GraphQLField, details
) -> Expression:
    """The SQL expression of one root field (``gtype`` is the query type)."""
    strawberry_field = strawberry_field_of(gfield)
    if strawberry_field is None:
        raise Unsupported("a root field without definition")
    for permission_class in strawberry_field.permission_classes:
        compilation.require(getattr(permission_class, "required", None))
    arguments = _arguments(compilation, strawberry_field, gfield, details)
    source = source_of(strawberry_field)
    named = get_named_type(gfield.type)
    if isinstance(source, ConnectionRows):
        return connection_json(compilation, named, details, source, arguments)
    if isinstance(source, ObjectRows):
        rows = _rows(source.rows, compilation, arguments)
        return sql.first_value(
            rows.values(_json=object_json(compilation, named, details, rows.model))
        )
    if strawberry_field.python_name == "node" and set(arguments) == {"id"}:
        return node_json(compilation, details, arguments["id"])
    raise Unsupported(f"root field {gfield}")


def _arguments(compilation: Compilation, strawberry_field, gfield, details) -> dict[str, Any]:
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


def connection_json(
    compilation: Compilation,
    gtype: GraphQLObjectType,
    details: FieldDetailsList,
    source: ConnectionRows,
    arguments: dict[str, Any],
) -> Expression:
    """``{totalCount, edges: [{cursor, node}], pageInfo}`` of a root connection, as the
    core's ``CountedConnection`` answers: ``first`` (default
    ``GRAPHQL_DEFAULT_PAGE_SIZE``) rows after the ``after`` cursor."""
    first, after = arguments.get("first"), arguments.get("after")
    if arguments.get("last") is not None or arguments.get("before") is not None:
        raise Unsupported("last/before")
    if first is None:
        first = settings.GRAPHQL_DEFAULT_PAGE_SIZE
    if not 0 <= first <= settings.GRAPHQL_MAX_PAGE_SIZE:
        raise Unsupported("first out of range")
    rows = _rows(
        source.rows, compilation, {k: v for k, v in arguments.items() if k not in PAGING}, details
    )
    page = cursors.Page(rows, after=after, size=first)
    edge_type, info_type = (
        get_named_type(gtype.fields[name].type) for name in ("edges", "pageInfo")
    )
    return selection_json(
        compilation,
        gtype,
        details,
        {
            "totalCount": lambda _: sql.RowCount(rows.order_by().values("pk")),
            "edges": lambda selected: page.edges(edge_json(compilation, edge_type, selected, page)),
            "pageInfo": lambda selected: page_info_json(compilation, info_type, selected, page),
        },
    )


def edge_json(compilation, gtype: GraphQLObjectType, details, page: cursors.Page) -> Expression:
    """``{cursor, node}`` of one row of the page."""
    node_type = get_named_type(gtype.fields["node"].type)
    return selection_json(
        compilation,
        gtype,
        details,
        {
            "cursor": lambda _: page.cursor(),
            "node": lambda selected: object_json(compilation, node_type, selected, page.model),
        },
    )


def page_info_json(compilation, gtype: GraphQLObjectType, details, page: cursors.Page):
    """``{hasNextPage, hasPreviousPage, startCursor, endCursor}`` of the page."""
    return selection_json(
        compilation,
        gtype,
        details,
        {
            "hasNextPage": lambda _: page.has_next(),
            "hasPreviousPage": lambda _: page.has_previous(),
            "startCursor": lambda _: page.start_cursor(),
            "endCursor": lambda _: page.end_cursor(),
        },
    )


def selection_json(
    compilation: Compilation,
    gtype: GraphQLObjectType,
    details: FieldDetailsList,
    values: Mapping[str, Callable[[FieldDetailsList], Expression]],
) -> Expression:
    """``json_build_object(…)`` of the selection ``details`` on ``gtype``, a type whose
    fields are not columns (a connection, an edge, a page info): each selected field's
    value is ``values[name](its details)``, ``__typename`` the type's name; a field not
    in ``values`` raises :class:`Unsupported`. The values are built in selection order."""
    pairs = []
    for key, field_details in compilation.subfields(gtype, details).items():
        name = field_details[0].node.name.value
        if name == "__typename":
            value = sql.text_literal(gtype.name)
        elif name in values:
            value = values[name](field_details)
        else:
            raise Unsupported(f"{gtype.name}.{name}")
        pairs.append((key, value))
    return sql.JsonObject(pairs)


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
