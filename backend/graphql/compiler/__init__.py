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

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

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


def compile_operation(execution_context) -> Statement | None:
    """The one statement answering the operation of strawberry's ``execution_context``
    (its ``data`` as JSON text), or None when it is not compiled."""
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
        return Statement(*_sql(sql.JsonObject(pairs)), {})
    except Unsupported as reason:
        logger.debug("Not compiled (%s): the general executor answers.", reason)
    except Exception:  # a defect of the compiler: the general path still answers
        logger.warning("The SQL compiler failed; the general executor answers.", exc_info=True)
    return None


def _sql(expression) -> tuple[str, list]:
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
    statement = cached_statement(execution_context)
    if statement is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        return CompiledData(cursor.fetchone()[0])


class Statement(NamedTuple):
    """A compiled operation: its SQL, parameters, and the answers of the user's
    ``has_perm`` it was compiled with (the field permissions, the global district
    right …): permission → granted."""

    sql: str
    params: list
    permissions: dict[str, bool]


@contextmanager
def permissions_asked(user) -> Iterator[dict[str, bool]]:
    """Record every ``user.has_perm(permission)`` asked within the block and its answer
    (whoever asks: the field checks, the row restrictions of the queryset functions)."""
    asked: dict[str, bool] = {}
    has_perm = user.has_perm

    def recording(permission, obj=None):
        asked[permission] = granted = has_perm(permission, obj)
        return granted

    user.has_perm = recording
    try:
        yield asked
    finally:
        del user.has_perm


#: Compiled statements kept per process (see :func:`cached_statement`).
CACHE_SIZE = 256
#: Seconds a compiled statement is reused before it is compiled again.
CACHE_SECONDS = 10
_cache: dict[tuple, tuple[float, Statement]] = {}
_cache_lock = threading.Lock()


def cached_statement(execution_context) -> Statement | None:
    """The statement of the operation, compiled at most once per :data:`CACHE_SECONDS`
    for the same document, operation, variables, user (and its superuser flag) and token
    scopes (compiling costs
    more than running a small statement), or None when it is not compiled.

    A statement is reused only while the user's ``has_perm`` gives the answers it was
    compiled with (every permission asked while compiling: the fields' permissions, a
    row restriction's global right); otherwise it is compiled again (and the general
    path answers a read the user may no longer make). The queryset functions that built
    it are not run again: their SQL depends on their arguments, the user and those
    permissions, and reads the rows themselves in subqueries at each run; what they take
    from the clock is the statement's own time (``backend.versioning.StatementTime``).
    """
    request = execution_context.context.request
    user = request.user
    if not user.is_authenticated:
        return None  # anonymous: the general path's authentication error
    try:
        variables = json.dumps(execution_context.variables, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return None
    key = (
        execution_context.query,
        execution_context.operation_name,
        variables,
        user.pk,
        user.is_superuser,  # has every permission, asked or not
        getattr(request, "oauth_scopes", None),
    )
    now = time.monotonic()
    entry = _cache.get(key)
    if (
        entry is not None
        and now - entry[0] < CACHE_SECONDS
        and all(user.has_perm(p) is granted for p, granted in entry[1].permissions.items())
    ):
        return entry[1]
    with permissions_asked(user) as asked:
        statement = compile_operation(execution_context)
    if statement is not None:
        statement = statement._replace(permissions=asked)
        with _cache_lock:  # threaded servers share the cache
            _cache.pop(key, None)
            if len(_cache) >= CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = (now, statement)
    return statement


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
