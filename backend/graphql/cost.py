"""A limit on how many objects one request may ask for (like GitHub's node limit).

Depth, alias and token limits bound a document's shape, not its answer: a short query
such as ``locations(first: 1000) { edges { node { children { parent { children … } } } } }``
multiplies its answer at every nested list. Before execution, :class:`MaxNodesLimiter`
estimates the number of objects the answer can hold, with the variables of the request:

- a connection holds ``first``/``last`` edges (or the default page size), each with a node;
- a plain list (``children``, ``payers``, ``history``) counts as ``GRAPHQL_LIST_ESTIMATE``
  objects (default 20, about the number of children of a Cambodian district);
- nested lists multiply.

A request whose estimate exceeds ``GRAPHQL_MAX_NODES`` (default 100,000) is refused with
an error naming both numbers; nothing is executed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    value_from_ast,
)
from graphql.type import is_composite_type
from strawberry.extensions import SchemaExtension


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


class _Estimate:
    def __init__(self, schema: GraphQLSchema, fragments: dict, variables: Mapping[str, Any]):
        self.schema, self.fragments, self.variables = schema, fragments, variables

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
        if isinstance(field_type, GraphQLList):
            occurrences *= settings.GRAPHQL_LIST_ESTIMATE
        if "edges" in getattr(named, "fields", {}):  # a connection: its page size
            return each + self._connection(node, named, each * _page_size(node, self.variables))
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
    schema: GraphQLSchema, document: Any, operation_name: str | None, variables: Mapping
) -> int:
    """Upper estimate of the objects the operation's answer can hold (see module doc)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _Estimate(schema, fragments, variables or {}).count(operation.selection_set, root, 1)


class MaxNodesLimiter(SchemaExtension):
    """Refuse a request whose answer could hold more than ``GRAPHQL_MAX_NODES`` objects.

    Also refuses a document of several operations without ``operationName``: the
    GraphQL specification (6.1, GetOperation) makes that a request error, and the
    estimate needs to know which operation runs.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        # strawberry falls back to the first operation when none is named; what the
        # client sent is kept in _provided_operation_name (strawberry is pinned)
        if context.graphql_document is not None and not context._provided_operation_name:
            operations = [
                d for d in context.graphql_document.definitions if hasattr(d, "operation")
            ]
            if len(operations) > 1:
                raise GraphQLError(
                    f"The document holds {len(operations)} operations: name the one to run "
                    "in operationName."
                )
        if context.graphql_document is not None:
            nodes = estimate_nodes(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables or {},
            )
            if nodes > settings.GRAPHQL_MAX_NODES:
                raise GraphQLError(
                    f"This request could return up to {nodes:,} objects; the limit is "
                    f"{settings.GRAPHQL_MAX_NODES:,}. Ask for smaller pages (first/last) "
                    "or fewer nested lists."
                )
        yield
