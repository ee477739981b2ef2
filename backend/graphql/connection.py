"""Relay connection with ``totalCount``, a default page size and a hard maximum.

``totalCount`` is counted in the page's own SQL query, as an uncorrelated scalar subquery
(``(SELECT COUNT(*) FROM … WHERE <the same filters>)``), which PostgreSQL evaluates once.
strawberry-django counts with a window function (``COUNT(1) OVER ()``) instead, which
makes the database build every matching row, joins included, before it can keep the
page: for a page of 100 of the 14,488 villages with their parent chain, 28 ms against
2.6 ms (``EXPLAIN ANALYZE``).
"""

from __future__ import annotations

from typing import Any

import strawberry
from django.conf import settings
from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from strawberry.relay.types import PREFIX
from strawberry.relay.utils import from_base64
from strawberry.types.nodes import FragmentSpread, InlineFragment, Selection
from strawberry_django.queryset import get_queryset_config
from strawberry_django.relay import DjangoListConnection

from backend.errors import UserInputError


def _is_cursor(value: str) -> bool:
    """True when ``value`` is an offset cursor as this connection emits them."""
    try:
        prefix, offset = from_base64(value)
    except ValueError:
        return False
    return prefix == PREFIX and offset.isascii() and offset.isdigit() and int(offset) < 2**31


def _asks_for(selections: list[Selection], name: str) -> bool:
    """True when ``name`` is selected among ``selections`` (fragments looked into)."""
    for selection in selections:
        if isinstance(selection, InlineFragment | FragmentSpread):
            if _asks_for(selection.selections, name):
                return True
        elif selection.name == name:
            return True
    return False


def count_subquery(queryset: QuerySet) -> Subquery:
    """``SELECT COUNT(*)`` of ``queryset``'s rows (its filters, no order, no joins for
    select_related), as an expression to annotate the same queryset with."""
    counted = (
        queryset.order_by()
        .values("pk")
        .annotate(_count=Func(F("pk"), function="COUNT", output_field=IntegerField()))
    )
    return Subquery(counted.values("_count")[:1], output_field=IntegerField())


@strawberry.type(
    name="Connection",
    description="A page of nodes (Relay cursor connection) with the total count of matches.",
)
class CountedConnection(DjangoListConnection[strawberry.relay.NodeType]):
    """A Relay connection whose page size defaults to ``GRAPHQL_DEFAULT_PAGE_SIZE``.

    ``first``/``last`` above ``GRAPHQL_MAX_PAGE_SIZE`` raise ``UserInputError``, which the
    client receives as a GraphQL error naming the limit; nothing is truncated silently.
    """

    @classmethod
    def resolve_connection(
        cls,
        nodes: Any,
        *,
        info: strawberry.Info,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
        max_results: int | None = None,
        **kwargs: Any,
    ) -> Any:
        if first is None and last is None:
            first = settings.GRAPHQL_DEFAULT_PAGE_SIZE
        for name, cursor in (("after", after), ("before", before)):
            if cursor is not None and not _is_cursor(cursor):
                raise UserInputError(f"Argument '{name}' is not a cursor of this connection.")
        config = get_queryset_config(nodes) if isinstance(nodes, QuerySet) else None
        counted = None
        if (
            config is not None
            and config.optimized
            and not config.optimized_by_prefetching
            and not (last and before is None)
            and any(_asks_for(f.selections, "totalCount") for f in info.selected_fields)
        ):
            # The count travels with the page (read back by totalCount from the first
            # node); strawberry's ListConnection slices it, skipping the window count.
            nodes = counted = nodes.annotate(_strawberry_total_count=count_subquery(nodes))
            resolve = super(DjangoListConnection, cls).resolve_connection
        else:
            resolve = super().resolve_connection
        try:
            connection = resolve(
                nodes,
                info=info,
                before=before,
                after=after,
                first=first,
                last=last,
                max_results=settings.GRAPHQL_MAX_PAGE_SIZE,
                **kwargs,
            )
        except (ValueError, TypeError) as error:  # strawberry's checks of first/last
            raise UserInputError(str(error)) from error
        if counted is not None:  # totalCount's fallback for an empty page counts these
            connection.nodes = counted
        return connection
