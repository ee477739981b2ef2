"""A page of a Relay connection as JSON: ``{totalCount, edges: [{cursor, node}],
pageInfo}``, as the core's ``CountedConnection`` answers, for a root connection
(``locations``) and for a connection over a relation of each row (``childrenConnection``,
``payersConnection``, ``historyConnection``).

The rows are paged by keyset after the ``after`` cursor (:class:`.cursors.Page`); the
objects are :func:`.objects.object_json`. A page size or cursor the general path
refuses raises :class:`~.objects.Unsupported`, so that the general path answers with its
error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import Expression, QuerySet
from graphql import GraphQLObjectType, get_named_type
from graphql.execution.collect_fields import FieldDetailsList

from backend.errors import UserInputError
from backend.graphql.compiler import cursors, sql
from backend.graphql.compiler.objects import Compilation, Unsupported, object_json
from backend.graphql.connection import check_page_size

#: Arguments of a connection field that page it (the others go to the rows function).
PAGING = ("first", "after", "last", "before")


def connection_json(
    compilation: Compilation,
    gtype: GraphQLObjectType,
    details: FieldDetailsList,
    rows: QuerySet,
    arguments: Mapping[str, Any],
) -> Expression:
    """The connection ``gtype``'s selection ``details`` over the ordered queryset
    ``rows`` (every row the page is taken from; it may refer to the outer row with
    ``OuterRef``), between the ``after`` and ``before`` cursors: ``first`` rows (default
    ``GRAPHQL_DEFAULT_PAGE_SIZE``), the last ``last`` of them, or the last ``last``
    (:class:`.cursors.Page`); the sizes checked as the general path checks them."""
    last = arguments.get("last")
    try:
        first = check_page_size(arguments.get("first"), last)
    except UserInputError as error:  # the general path answers it as its error
        raise Unsupported("page size") from error
    before, after = arguments.get("before"), arguments.get("after")
    page = cursors.Page(rows, after=after, before=before, first=first, last=last)
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
