"""A limit on how many objects one request may ask for (like GitHub's node limit).

Depth, alias and token limits bound a document's shape, not its answer: a short query
such as ``locations(first: 1000) { edges { node { children { parent { children … } } } } }``
multiplies its answer at every nested list. Before execution, :class:`MaxNodesLimiter`
estimates the number of objects the answer can hold, with the variables of the request,
in up to two passes:

1. without SQL: a connection holds ``first``/``last`` edges (or the default page size),
   each with a node; a plain list (``children``, ``payers``, ``history``) counts as
   ``GRAPHQL_LIST_ESTIMATE`` objects (default 20); nested lists multiply; the federation
   field ``_entities`` holds one object per representation it is given. Most requests
   end here: at or below ``GRAPHQL_MAX_NODES`` (default 100,000) they run.
2. above it, from the rows in the database (:mod:`backend.graphql.row_estimate`): a root
   connection holds at most ``min(page size, COUNT(*) of its rows with the request's
   filter)`` edges; a list over a relation holds at most as many rows as the parent
   having the most (e.g. 33 for ``children``: the largest Cambodian commune has 33
   villages), a nested connection the smaller of that and its page. A region's
   districts, communes and villages (``locations(filter: {code: "05"}) { … children
   { children { children } } }``) is estimated at 3 + 33 + 33² + 33³ = 37,062 objects
   (it returns 1,454) instead of 842,201. The pass costs one SQL query per root
   connection and per distinct list field (each once per request, cheap: a count with
   the request's filters, a ``GROUP BY`` of one foreign key), and only fields the caller
   may read are counted.

A request still above the limit is refused with the code ``LIMIT_EXCEEDED`` and a
message naming the estimate and the limit; no SQL of its data runs.

Fragments multiply a document too: a fragment that spreads the next one twice, 26
times over, makes 2^26 selections of a 1 KB document, and everything that walks the
selections per path (validation's depth limit, the estimate above, the optimizer)
walks them all. :func:`expanded_fields` counts the fields of the document with every
fragment spread replaced by its fragment, in time linear in the document's size;
:class:`MaxFieldsLimiter` refuses a document above ``GRAPHQL_MAX_FIELDS`` (default
5,000) before it is validated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    value_from_ast,
    value_from_ast_untyped,
)
from graphql.type import is_composite_type
from strawberry.extensions import SchemaExtension

from backend.errors import LimitExceeded
from backend.graphql.documents import per_document
from backend.graphql.row_estimate import RowCounts

#: Attribute of strawberry's execution context set when the estimate counted rows in the
#: database (its answer may change with the data: the SQL compiler does not replay it).
ROWS_COUNTED = "graphql_rows_counted"

#: The federation field whose answer holds one object per item of ``representations``.
ENTITIES_FIELD, REPRESENTATIONS = "_entities", "representations"


def _page_size(field: FieldNode, variables: Mapping[str, Any]) -> int:
    sizes = []
    for argument in field.arguments or ():
        if argument.name.value in {"first", "last"}:
            value = value_from_ast(argument.value, GraphQLInt, variables)
            # variables are not coerced yet: a value beyond 32 bits is refused by
            # execution with the Int error, so it does not count here
            if isinstance(value, int) and -(2**31) <= value < 2**31:
                sizes.append(value)
    return max(sizes) if sizes else settings.GRAPHQL_DEFAULT_PAGE_SIZE


def _representations(field: FieldNode, variables: Mapping[str, Any]) -> int:
    """How many representations an ``_entities`` field is given (1 for a single value)."""
    for argument in field.arguments or ():
        if argument.name.value == REPRESENTATIONS:
            value = value_from_ast_untyped(argument.value, variables)
            return len(value) if isinstance(value, list) else 1
    return 0


class _Estimate:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict,
        variables: Mapping[str, Any],
        rows: RowCounts | None,
    ):
        self.schema, self.fragments, self.variables = schema, fragments, variables
        self.rows = rows

    def _real(self, definition: Any, node: FieldNode) -> int | None:
        """At most this many rows per occurrence, from the database (pass 2), or None."""
        return self.rows.rows(definition, node) if self.rows is not None else None

    def count(self, selection_set: SelectionSetNode | None, parent: Any, each: int) -> int:
        """Objects below ``selection_set`` when ``parent`` occurs ``each`` times."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, each)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.count(selection.selection_set, target, each)
            elif isinstance(selection, FragmentSpreadNode):
                fragment: FragmentDefinitionNode = self.fragments[selection.name.value]
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.count(fragment.selection_set, target, each)
        return total

    def field(self, node: FieldNode, parent: Any, each: int) -> int:
        fields = getattr(parent, "fields", {})
        definition = fields.get(node.name.value)
        if definition is None:  # __typename and other introspection fields
            return 0
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        named = get_named_type(field_type)
        if not is_composite_type(named):
            return 0
        occurrences = each
        if node.name.value == ENTITIES_FIELD:
            occurrences *= _representations(node, self.variables)
        elif isinstance(field_type, GraphQLList):
            real = self._real(definition, node)
            occurrences *= settings.GRAPHQL_LIST_ESTIMATE if real is None else real
        if "edges" in getattr(named, "fields", {}):  # a connection: its page size
            page = _page_size(node, self.variables)
            real = self._real(definition, node)
            page = page if real is None else min(page, real)
            return each + self._connection(node, named, each * page)
        return occurrences + self.count(node.selection_set, named, occurrences)

    def _connection(self, node: FieldNode, connection: Any, items: int) -> int:
        total = 0
        for selection in node.selection_set.selections if node.selection_set else ():
            if isinstance(selection, FieldNode) and selection.name.value == "edges":
                edge = get_named_type(connection.fields["edges"].type)
                total += items + self.count(selection.selection_set, edge, items)
            else:
                total += self.count(SelectionSetNode(selections=(selection,)), connection, 1)
        return total


def estimate_nodes(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    variables: Mapping,
    rows: RowCounts | None = None,
) -> int:
    """Estimate of the objects the operation's answer can hold (see the module doc):
    without ``rows``, from page sizes and ``GRAPHQL_LIST_ESTIMATE`` (no SQL); with
    ``rows``, from the real row counts it gives (pass 2)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    estimate = _Estimate(schema, fragments, variables or {}, rows)
    return estimate.count(operation.selection_set, root, 1)


@per_document
def _estimate_without_variables(
    document: DocumentNode, schema: GraphQLSchema, operation_name: str | None, *settings_used: int
) -> int:
    """:func:`estimate_nodes` of a request without variables, once per document, schema,
    operation and the settings the estimate reads (``settings_used``, part of the key)."""
    return estimate_nodes(schema, document, operation_name, {})


class MaxNodesLimiter(SchemaExtension):
    """Refuse a request whose answer could hold more than ``GRAPHQL_MAX_NODES`` objects
    (the operation that runs is determined: :mod:`backend.graphql.operation_choice`)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            schema, document = context.schema._schema, context.graphql_document
            variables = context.variables or {}
            if variables:
                nodes = estimate_nodes(schema, document, context.operation_name, variables)
            else:  # pass 1 gives the same answer for every request of this document
                nodes = _estimate_without_variables(
                    document,
                    schema,
                    context.operation_name,
                    settings.GRAPHQL_DEFAULT_PAGE_SIZE,
                    settings.GRAPHQL_LIST_ESTIMATE,
                )
            if nodes > settings.GRAPHQL_MAX_NODES:  # pass 2: from the rows (never kept)
                setattr(context, ROWS_COUNTED, True)
                operation = get_operation_ast(document, context.operation_name)
                rows = RowCounts(context.schema, context.context, variables, operation)
                nodes = estimate_nodes(
                    schema, document, context.operation_name, variables, rows=rows
                )
            if nodes > settings.GRAPHQL_MAX_NODES:
                raise LimitExceeded(
                    f"This request could return up to {nodes:,} objects; the limit is "
                    f"{settings.GRAPHQL_MAX_NODES:,} (GRAPHQL_MAX_NODES). Ask for smaller "
                    "pages (first/last) or fewer nested lists."
                )
        yield


def _own_fields(selection_set: SelectionSetNode | None) -> tuple[int, list[str]]:
    """Fields of ``selection_set`` at any depth without entering fragment spreads, and
    the names of the fragments it spreads (once per spread). Iterative: a deeply nested
    document cannot exhaust the interpreter's stack."""
    fields, spreads = 0, []
    stack = [selection_set] if selection_set is not None else []
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                spreads.append(selection.name.value)
                continue
            fields += isinstance(selection, FieldNode)
            if selection.selection_set is not None:
                stack.append(selection.selection_set)
    return fields, spreads


def expanded_fields(document: DocumentNode) -> int:
    """Fields of all operations of ``document`` once every fragment spread is replaced
    by its fragment (the number the validation rules and the executor may walk).

    Each definition is read once and each fragment's expanded size computed once
    (memoized), so the work grows with the document's size, not with the result. A
    cycle of fragments or an unknown fragment counts as 0: validation reports it.
    """
    own: dict[str, tuple[int, list[str]]] = {}
    operations = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            own[definition.name.value] = _own_fields(definition.selection_set)
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(_own_fields(definition.selection_set))
    size: dict[str, int] = {}
    for start in own:
        # depth-first post-order over the spread graph, without recursion
        stack, entered = [start], set()
        while stack:
            name = stack[-1]
            if name in size or name not in own:
                stack.pop()
                continue
            if name not in entered:
                entered.add(name)
                stack.extend(n for n in own[name][1] if n not in size and n not in entered)
                continue
            stack.pop()
            fields, spreads = own[name]
            size[name] = fields + sum(size.get(n, 0) for n in spreads)
    return sum(fields + sum(size.get(n, 0) for n in spreads) for fields, spreads in operations)


_expanded_fields_once = per_document(expanded_fields)


class MaxFieldsLimiter(SchemaExtension):
    """Refuse a document of more than ``GRAPHQL_MAX_FIELDS`` fields once its fragments
    are expanded (:func:`expanded_fields`), before validation walks them.

    Place it before the validation extensions (it refuses in ``on_validate``).
    """

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            fields = _expanded_fields_once(document)
            if fields > settings.GRAPHQL_MAX_FIELDS:
                raise LimitExceeded(
                    f"The document selects {fields:,} fields once its fragments are "
                    f"expanded; the limit is {settings.GRAPHQL_MAX_FIELDS:,} "
                    "(GRAPHQL_MAX_FIELDS). Spread fewer fragments."
                )
        yield
