"""The SQL compiler of reads: one PostgreSQL statement builds a query's whole answer.

After parsing, validation and the guard rails (depth, aliases, tokens, node estimate,
read scope), :class:`CompiledReads` tries to compile the operation: every root field
and every nested selection becomes a part of one ``SELECT`` that builds the ``data``
JSON with ``json_build_object`` and ``array_to_json(ARRAY(…))``; the database's JSON
text goes to the client as it is, no model instance or graphql-core value is built. Each
level's rows come from the queryset functions the general resolvers use (the core's
field factories attach them, :mod:`.sources`), compiled by Django, so current-row
filters, orders and row restrictions are the same.

What it cannot compile, or what would end in an error (a missing permission, a page
above the maximum, a cursor or filter the general path refuses, ``last``/``before``,
a mutation, an unknown field kind), goes to the general executor, silently: results and
errors are the general path's by construction. Only on PostgreSQL, and only when
``GRAPHQL_COMPILE`` is true (the default). README: "How reads are executed".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from django.db import connection
from django.db.models.sql import Query
from graphql import ExecutionResult, OperationType
from graphql.execution import Executor
from graphql.execution.collect_fields import collect_fields
from strawberry.extensions import SchemaExtension

from backend.graphql.compiler import sql
from backend.graphql.compiler.objects import Compilation, Unsupported
from backend.graphql.compiler.roots import root_value

logger = logging.getLogger("backend.graphql.compiler")

#: Attribute a view sets on the request when it can send a :class:`CompiledData` on.
ACCEPTS = "graphql_accepts_compiled"


class CompiledData(str):
    """The ``data`` of an answer as JSON text, built by the database."""

    __slots__ = ()


def compile_operation(execution_context) -> tuple[str, list] | None:
    """``(sql, params)`` of the one statement answering the operation of strawberry's
    ``execution_context`` (its ``data`` as JSON text), or None when it is not compiled."""
    schema = execution_context.schema
    executor = Executor.build(
        schema._schema,
        execution_context.graphql_document,
        raw_variable_values=execution_context.variables,
        operation_name=execution_context.operation_name,
    )
    if isinstance(executor, list) or executor.operation.operation != OperationType.QUERY:
        return None
    compilation = Compilation(executor, schema, execution_context.context.request)
    query_type = schema._schema.query_type
    try:
        collected = collect_fields(
            executor.schema,
            executor.fragments,
            executor.variable_values,
            query_type,
            executor.operation,
        )
        if collected.new_defer_usages:
            raise Unsupported("@defer")
        pairs = []
        for key, details in collected.grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                pairs.append((key, sql.text_literal(query_type.name)))
            elif name.startswith("__"):
                raise Unsupported("introspection")
            else:
                gfield = query_type.fields[name]
                pairs.append((key, root_value(compilation, query_type, gfield, details)))
        return _statement(sql.JsonObject(pairs))
    except Unsupported as reason:
        logger.debug("Not compiled (%s): the general executor answers.", reason)
    except Exception:  # a defect of the compiler: the general path still answers
        logger.warning("The SQL compiler failed; the general executor answers.", exc_info=True)
    return None


def _statement(expression) -> tuple[str, list]:
    """The ``SELECT`` of ``expression`` (no outer row) as JSON text, with its parameters."""
    query = Query(None)
    resolved = expression.resolve_expression(query)
    text, params = resolved.as_sql(query.get_compiler(connection=connection), connection)
    return f"SELECT ({text})::text", list(params)


def compiled_answer(execution_context) -> CompiledData | None:
    """The ``data`` of the operation as the database's JSON text, or None when the
    compiler is off (``GRAPHQL_COMPILE``), the database is not PostgreSQL, the view did
    not ask for it, or the operation is not compiled."""
    request = getattr(execution_context.context, "request", None)
    if (
        not settings.GRAPHQL_COMPILE
        or connection.vendor != "postgresql"
        or not getattr(request, ACCEPTS, False)
        or execution_context.graphql_document is None
    ):
        return None
    statement = compile_operation(execution_context)
    if statement is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return CompiledData(cursor.fetchone()[0])


class CompiledReads(SchemaExtension):
    """Answers a compiled operation in place of the executor (see the module
    docstring); the last extension, so every guard rail has run before."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if not context.result:
            data = compiled_answer(context)
            if data is not None:
                context.result = ExecutionResult(data=data, errors=None)
        yield
