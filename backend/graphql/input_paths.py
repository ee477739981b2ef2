"""The input a variable's coercion error is about, for ``extensions.argument``.

graphql-core refuses a variable value it cannot coerce with one error per problem
(``Variable '$i' has invalid value at .expectedValidityFrom: …``,
``graphql/execution/values.py``, ``coerce_variable_values``) and keeps the input path
only in that message. The path is taken again from graphql-core's own structured data:
:func:`graphql.utilities.validate_input_value`, which coercion calls to report the
problems, is run again on the variable's value and hands each problem over with its path
(a list of field names and list positions), in the same order. A problem with an input
object as a whole (a required field missing, a field it does not have) is named by that
field (``i.uuid``), as the message names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLSchema,
    VariableDefinitionNode,
    get_nullable_type,
    is_required_input_field,
    type_from_ast,
)
from graphql.pyutils import Undefined
from graphql.utilities import validate_input_value


def input_name(variable: str, path: Iterable[str | int]) -> str:
    """The name of an input as ``extensions.argument`` gives it: the variable, then each
    input field after a dot and each list position in brackets (``f.parents[1]``)."""
    return variable + "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path)


def _variable_of(error: GraphQLError) -> VariableDefinitionNode | None:
    """The variable definition whose value ``error`` refuses, for an error of the
    variables' coercion (graphql-core: no path, one variable definition node, the
    problem as ``original_error``); else None (an invalid default value, a limit)."""
    nodes = error.nodes or ()
    if error.path or len(nodes) != 1 or not isinstance(nodes[0], VariableDefinitionNode):
        return None
    if not isinstance(error.original_error, GraphQLError):
        return None
    return nodes[0]


def _type_at(type_: GraphQLInputType, path: list[str | int]) -> GraphQLInputType | None:
    """The input type at ``path`` below ``type_`` (None where the path leaves it)."""
    for key in path:
        type_ = get_nullable_type(type_)
        if isinstance(key, int) and isinstance(type_, GraphQLList):
            type_ = type_.of_type
        elif isinstance(type_, GraphQLInputObjectType) and key in type_.fields:
            type_ = type_.fields[key].type
        else:
            return None
    return type_


def _value_at(value: Any, path: list[str | int]) -> Any:
    for key in path:
        value = value[key] if isinstance(key, int) else value.get(key)
    return value


def _object_fields(type_: Any, value: Any) -> list[str]:
    """The fields an input object ``value`` is refused for as a whole, in the order
    graphql-core reports them: the required ones missing, then the unknown ones."""
    type_ = get_nullable_type(type_)
    if not isinstance(type_, GraphQLInputObjectType) or not isinstance(value, Mapping):
        return []
    missing = [
        name
        for name, field in type_.fields.items()
        if name not in value and is_required_input_field(field)
    ]
    return missing + [name for name in value if name not in type_.fields]


def _problems(schema: GraphQLSchema, node: VariableDefinitionNode, value: Any) -> list:
    """(message, input path) of every problem of the variable ``node``'s ``value``, as
    coercion reports them."""
    type_ = type_from_ast(schema, node.type)
    if type_ is None:
        return []
    found: list[tuple[str, list[str | int]]] = []
    validate_input_value(value, type_, lambda error, path: found.append((error.message, path)))
    fields: dict[tuple, list[str]] = {}
    problems = []
    for message, path in found:
        where = tuple(path)
        if where not in fields:
            fields[where] = _object_fields(_type_at(type_, path), _value_at(value, path))
        names = fields[where]
        if names and f"field '{names[0]}'" in message:
            path = [*path, names.pop(0)]
        problems.append((message, path))
    return problems


def name_variable_inputs(
    errors: list[GraphQLError], schema: GraphQLSchema, variables: Mapping[str, Any]
) -> None:
    """Give each error of the variables' coercion among ``errors`` the input it refuses
    in ``extensions.argument`` (:func:`input_name`), from the request's raw ``variables``
    and the ``schema``; other errors, and one whose problem is not found again (its
    message differs), are left as they are. Changes the errors in place."""
    by_variable: dict[int, tuple[VariableDefinitionNode, list[GraphQLError]]] = {}
    for error in errors:
        node = _variable_of(error)
        if node is not None:
            by_variable.setdefault(id(node), (node, []))[1].append(error)
    for node, refused in by_variable.values():
        name = node.variable.name.value
        problems = _problems(schema, node, variables.get(name, Undefined))
        for error, (message, path) in zip(refused, problems, strict=False):
            if error.original_error.message == message:
                error.extensions = {**(error.extensions or {}), "argument": input_name(name, path)}
