"""Real row counts for the node estimate (:mod:`backend.graphql.cost`).

A field that reads rows declares in its strawberry ``metadata`` how many rows one
occurrence of it can return at most, under the key :data:`ROWS`: a callable taking the
request's ``info`` and the field's own resolver arguments (``filter``, ``order_by``,
``validity`` … as the resolver receives them) and returning an ``int``. Two kinds exist:

- :func:`counted_rows`: a root connection counts its queryset with the request's
  arguments (``SELECT COUNT(*)`` with the same filters);
- :func:`max_fan_out`: a list over a reverse relation (``children``, ``payers``,
  ``history``) reads the largest number of related rows any one parent has among the
  rows the user may read (``SELECT COUNT(*) … GROUP BY <link> ORDER BY 1 DESC LIMIT 1``
  over the rows the user may read: district rights), a statistic of the data that holds
  for every parent, whatever the arguments. The process keeps it (once for the users
  the rights do not restrict, once per restricted user: a user of one district is
  counted from their rows, never from a commune they cannot see) for
  ``GRAPHQL_FAN_OUT_SECONDS`` (default 60; 0: read it every time): a parent given more
  rows meanwhile is counted with the old maximum until then.

:class:`RowCounts` runs them for one request, each distinct (field, arguments) once, and
only for fields the caller may read (a field refused by its permission keeps the
estimate without SQL, so the estimate reveals nothing the caller cannot ask for).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Model, QuerySet
from graphql import FieldNode, GraphQLError, GraphQLField
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments

from backend.errors import UserInputError
from backend.rights import readable, scope

#: The ``metadata`` key of a field's "at most this many rows per occurrence" callable.
ROWS = "backend.rows"


def counted_rows(queryset: Callable[..., QuerySet]) -> dict[str, Callable[..., int]]:
    """Field metadata: one occurrence returns at most ``queryset(info, **arguments).count()``
    rows. ``queryset`` takes the request's ``info`` (its ``context.request.user``: the rows
    that user may read) and the resolver's keyword arguments (without ``self``/``info``)."""
    return {ROWS: lambda info, **arguments: queryset(info, **arguments).order_by().count()}


def reverse_link(rows: type[Model], relation: str) -> str:
    """The foreign key of the model ``rows`` whose reverse relation (its accessor on the
    parent) is ``relation``: ``"parent"`` for ``"children"``."""
    return next(
        field.name
        for field in rows._meta.get_fields()
        if field.many_to_one and field.remote_field.get_accessor_name() == relation
    )


def max_fan_out(relation: str, queryset: Callable[[], QuerySet]) -> dict[str, Callable[..., int]]:
    """Field metadata: a list of ``queryset()`` rows related to their parent by the
    reverse relation ``relation`` (the ``related_name`` of a foreign key of
    ``queryset().model``) holds at most as many rows as the parent having the most,
    counting only the rows the request's user may read (district rights,
    :func:`backend.rights.readable`, as the field's resolver lists them).

    One SQL query (a ``GROUP BY`` of the related rows by their foreign key), whose
    answer the process keeps for ``GRAPHQL_FAN_OUT_SECONDS``: one for every user the
    rights do not restrict, one per restricted user; 0 when no row is related.
    """

    def rows(info: Any, **_arguments: Any) -> int:  # every parent the user may read
        everyone = queryset()
        user = info.context.request.user
        restricted = scope(everyone.model, user) is not None
        related = readable(everyone, user) if restricted else everyone
        link = reverse_link(related.model, relation)
        largest = (
            related.order_by()
            .exclude(**{f"{link}__isnull": True})
            .values(link)
            .annotate(_n=Count("pk"))
            .order_by("-_n")
            .values_list("_n", flat=True)[:1]
        )
        # the statement without the restriction (which may hold the time of the request)
        key = (largest.db, relation, str(everyone.query), user.pk if restricted else None)
        now = time.monotonic()
        kept = _fan_outs.get(key)
        if kept is None or kept[0] <= now:
            if len(_fan_outs) >= KEPT_FAN_OUTS:  # one per field and restricted user
                for stale in [k for k, (expiry, _) in _fan_outs.items() if expiry <= now]:
                    del _fan_outs[stale]
                if len(_fan_outs) >= KEPT_FAN_OUTS:
                    _fan_outs.clear()
            kept = (now + settings.GRAPHQL_FAN_OUT_SECONDS, next(iter(largest), 0))
            _fan_outs[key] = kept
        return kept[1]

    return {ROWS: rows}


#: (database alias, relation, SQL of the related rows, the restricted user's pk or None)
#: -> (expiry on the monotonic clock, value).
_fan_outs: dict[tuple[str, str, str, Any], tuple[float, int]] = {}

#: How many statistics a process keeps at most (each list field once, and once per
#: restricted user seen within ``GRAPHQL_FAN_OUT_SECONDS``); beyond it the expired go.
KEPT_FAN_OUTS = 10_000


def forget_fan_outs() -> None:
    """Drop the kept statistics of :func:`max_fan_out` (the next estimate reads them)."""
    _fan_outs.clear()


class RowCounts:
    """The :data:`ROWS` callables of one request's fields, each run at most once per
    distinct (field, arguments).

    ``schema``: the strawberry schema; ``context``: the request's GraphQL context (its
    ``request`` carries the user the permission classes check); ``variables``: the
    request's variables, coerced for ``operation`` (the operation's definition node; None:
    an operation without variables). :meth:`rows` returns None when the field declares nothing, its
    arguments do not convert (execution reports that error), or the caller is refused
    the field; it raises the field's ``UserInputError`` (an unknown uuid in a filter),
    which the request is answered with instead of a limit it would not reach.
    """

    def __init__(
        self, schema: Any, context: Any, variables: Mapping[str, Any], operation: Any = None
    ) -> None:
        self.schema = schema
        definitions = (operation.variable_definitions if operation else None) or ()
        coerced = get_variable_values(schema._schema, definitions, dict(variables))
        # variables execution refuses: no real counts (execution reports the error)
        self.variables = None if isinstance(coerced, list) else coerced
        self.info = SimpleNamespace(context=context)
        self._cache: dict[tuple, int | None] = {}

    def rows(self, definition: GraphQLField, node: FieldNode) -> int | None:
        field = (definition.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        count = (getattr(field, "metadata", None) or {}).get(ROWS)
        if count is None or self.variables is None:
            return None
        try:
            raw = get_argument_values(definition, node, self.variables)
        except GraphQLError:
            return None
        key = (id(field), repr(sorted(raw.items())))
        if key not in self._cache:
            self._cache[key] = self._run(field, count, raw)
        return self._cache[key]

    def _run(self, field: Any, count: Callable[..., int], raw: dict) -> int | None:
        try:
            if not all(
                permission().has_permission(None, self.info)
                for permission in field.permission_classes
            ):
                return None
        except (PermissionError, PermissionDenied, AttributeError):
            return None  # anonymous, refused, or a check needing more than the request
        own = field.base_resolver.arguments if field.base_resolver else []
        try:
            arguments = convert_arguments(
                raw, own, self.schema.schema_converter.scalar_registry, self.schema.config
            )
            return count(self.info, **arguments)
        except UserInputError:
            raise  # the error execution would report (e.g. an unknown uuid): report it now
        except (GraphQLError, ValueError, TypeError):
            return None  # a value execution refuses with its own error
