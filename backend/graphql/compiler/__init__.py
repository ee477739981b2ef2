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
above the maximum, a cursor or filter the general path refuses, a mutation, an unknown
field kind), goes to the general executor, silently: results and errors are the general
path's by construction. Only on PostgreSQL, and only when
``GRAPHQL_COMPILE`` is true (the default). README: "How reads are executed".

A compiled statement is kept a few seconds (:func:`cached_statement`); a request the
same as one it answered, whose checks all depend only on what the cache is keyed by, is
answered before strawberry's pipeline runs (:func:`replay`).
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
from django.core.signals import setting_changed
from django.db import connection
from django.db.models.sql import Query
from graphql import ExecutionResult, OperationType
from graphql.execution import Executor
from graphql.execution.collect_fields import collect_fields
from strawberry.extensions import SchemaExtension

from backend import observability
from backend.graphql.compiler import sql
from backend.graphql.compiler.objects import Compilation, Unsupported
from backend.graphql.compiler.roots import root_value
from backend.graphql.cost import ROWS_COUNTED

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
    return run(statement)


def _cursor():
    """The cursor a compiled statement runs on: the default database's, prepared once a
    connection has run the same statement a few times (the SQL only varies with the
    selection; values are parameters): ``backend.database``'s ``prepared_cursor``."""
    return connection.prepared_cursor()


def run(statement: Statement) -> CompiledData:
    """The JSON text of ``data`` that ``statement`` builds, run on :func:`_cursor`."""
    with _cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        return CompiledData(cursor.fetchone()[0])


class Statement(NamedTuple):
    """A compiled operation: its SQL, parameters, and the answers of the user's
    ``has_perm`` it was compiled with (the field permissions, the global district
    right …): permission → granted. ``checked`` once a request it answered passed every
    check before it with nothing but the cache key's parts (:func:`mark_checked`), then
    ``operation_name`` is the operation's name (the metrics' label)."""

    sql: str
    params: list
    permissions: dict[str, bool]
    checked: bool = False
    operation_name: str | None = None


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
    user = execution_context.context.request.user
    if not user.is_authenticated:
        return None  # anonymous: the general path's authentication error
    key = _context_key(execution_context)
    if key is None:
        return None
    statement = _fresh(key, user)
    if statement is not None:
        return statement
    with permissions_asked(user) as asked:
        statement = compile_operation(execution_context)
    if statement is not None:
        statement = statement._replace(permissions=asked)
        _keep(key, statement, time.monotonic())
    return statement


def _key(schema, request, query, operation_name, variables) -> tuple | None:
    """The cache key of a request: the endpoint's schema, the document, the operation
    name the client gave, the variables, the user (and its superuser flag: it has every
    permission, asked or not) and the bearer token's scopes; None when the variables do
    not serialise."""
    try:
        variables = json.dumps(variables, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return None
    user = request.user
    scopes = getattr(request, "oauth_scopes", None)
    return (schema, query, operation_name, variables, user.pk, user.is_superuser, scopes)


def _context_key(execution_context) -> tuple | None:
    # the operation name as the client gave it (strawberry is pinned), as replay reads it
    return _key(
        execution_context.schema,
        execution_context.context.request,
        execution_context.query,
        execution_context._provided_operation_name,
        execution_context.variables,
    )


def _fresh(key: tuple, user) -> Statement | None:
    """The statement cached under ``key`` while it is fresh and ``user.has_perm`` still
    gives the answers it was compiled with, else None."""
    entry = _cache.get(key)
    if (
        entry is not None
        and time.monotonic() - entry[0] < CACHE_SECONDS
        and all(user.has_perm(p) is granted for p, granted in entry[1].permissions.items())
    ):
        return entry[1]
    return None


def _keep(key: tuple, statement: Statement, since: float) -> None:
    with _cache_lock:  # threaded servers share the cache
        _cache.pop(key, None)
        if len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = (since, statement)


def forget_statements(*, setting: str, **kwargs) -> None:
    """Empty the cache when a ``GRAPHQL_*`` setting changed (a ``setting_changed``
    receiver: the page sizes and limits a statement and its checks were made with);
    ``GRAPHQL_COMPILE`` and ``GRAPHQL_TRACING`` are read at each request."""
    if setting.startswith("GRAPHQL_") and setting not in ("GRAPHQL_COMPILE", "GRAPHQL_TRACING"):
        with _cache_lock:
            _cache.clear()


setting_changed.connect(forget_statements, dispatch_uid="compiler-forget-statements")


def mark_checked(execution_context) -> None:
    """Note that the request of ``execution_context``, answered by its cached statement,
    passed every check with nothing but the cache key's parts: the document (parsing,
    validation with the depth and alias limits, the token and field limits), the
    variables (the node estimate, unless it counted rows), the token's scopes (the read
    scope), the endpoint; so an equal request may be replayed (:func:`replay`)."""
    if getattr(execution_context, ROWS_COUNTED, False):
        return
    key = _context_key(execution_context)
    entry = _cache.get(key) if key is not None else None
    if entry is not None and not entry[1].checked:
        name = execution_context.operation_name
        _keep(key, entry[1]._replace(checked=True, operation_name=name), entry[0])


def replay(schema, request) -> CompiledData | None:
    """The ``data`` of a POSTed JSON read, as the database's JSON text, when an equal
    request (same ``schema``, document, ``operationName``, variables, user, token scopes;
    :func:`_key`) was answered by a compiled statement less than :data:`CACHE_SECONDS`
    ago and passed every check with those parts alone (:func:`mark_checked`), and the
    user's ``has_perm`` still gives the answers the statement was compiled with: the
    statement runs again, the operation is counted in the metrics; None otherwise, and
    when the statement fails (the general path then answers, errors included).

    The request is authenticated, CSRF-checked and its body checked by the view before.
    """
    if not _cache or settings.GRAPHQL_TRACING or not settings.GRAPHQL_COMPILE:
        return None  # tracing: a span per operation, by strawberry's extension
    if connection.vendor != "postgresql" or not getattr(request, ACCEPTS, False):
        return None
    accept = request.headers.get("Accept", "")
    if request.method != "POST" or "multipart" in accept or "event-stream" in accept:
        return None  # a GET's parameters, or a streamed answer: strawberry's
    if request.content_type != "application/json" or not request.user.is_authenticated:
        return None
    params = json.loads(request.body)  # a JSON object: checked by the view
    query, name, variables = (params.get(k) for k in ("query", "operationName", "variables"))
    if params.get("extensions") is not None or not isinstance(query, str):
        return None
    if not isinstance(name, str | None) or not isinstance(variables, dict | None):
        return None
    key = _key(schema, request, query, name, variables)
    statement = _fresh(key, request.user) if key is not None else None
    if statement is None or not statement.checked:
        return None
    started = time.perf_counter()
    try:
        data = run(statement)
    except Exception:
        logger.debug("The replayed statement failed; the general path answers.", exc_info=True)
        return None
    observability.count_operation(
        schema, "query", statement.operation_name, 0, time.perf_counter() - started
    )
    return data


class CompiledReads(SchemaExtension):
    """Answers a compiled operation in place of the executor (see the module
    docstring); the last extension, so every guard rail has run before."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if not context.result:
            data = compiled_answer(context)
            if data is not None:
                context.result = ExecutionResult(data=data, errors=None)
                mark_checked(context)
        yield
