"""Relay connection with keyset cursors, ``totalCount``, a default page size and a maximum.

A connection pages the queryset its resolver returns, in that queryset's order
(:func:`backend.graphql.cursors.keys_of`): ``after``/``before`` hold the key values of a
row (:mod:`backend.graphql.cursors`), and a page is the rows beyond them in that order,
so rows inserted or deleted before a cursor never make a page skip or repeat a row.

One SQL query per page: the rows, each key's value (annotated, for the cursors),
``totalCount`` and the ``pageInfo`` existence tests as uncorrelated subqueries.
``totalCount`` is an uncorrelated scalar subquery (``(SELECT COUNT(*) FROM … WHERE <the
same filters>)``), which PostgreSQL evaluates once. strawberry-django counts with a
window function (``COUNT(1) OVER ()``) instead, which makes the database build every
matching row, joins included, before it can keep the page: for a page of 100 of the
14,488 villages with their parent chain, 28 ms against 2.6 ms (``EXPLAIN ANALYZE``).

``pageInfo`` follows the Relay specification's algorithm: ``hasNextPage`` is true when
more rows follow (``first``: one row more was read) or, with ``before``, when a row
exists at or after the ``before`` cursor; ``hasPreviousPage`` likewise with ``last`` and
``after``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, F, Field, Func, IntegerField, Model, QuerySet, Subquery
from strawberry.relay import PageInfo
from strawberry.relay.utils import should_resolve_list_connection_edges
from strawberry.types.nodes import FragmentSpread, InlineFragment, Selection
from strawberry_django.fields.field import StrawberryDjangoConnectionExtension
from strawberry_django.queryset import get_queryset_config
from strawberry_django.relay import DjangoListConnection
from strawberry_django.relay.utils import resolve_edge_class

from backend.errors import UserInputError
from backend.graphql import cursors


def asks_for(selections: Sequence[Selection], *path: str) -> bool:
    """True when the field path ``path`` (``"pageInfo", "hasNextPage"``) is selected
    among ``selections`` (fragments looked into)."""
    for selection in selections:
        if isinstance(selection, InlineFragment | FragmentSpread):
            if asks_for(selection.selections, *path):
                return True
        elif selection.name == path[0] and (
            len(path) == 1 or asks_for(selection.selections, *path[1:])
        ):
            return True
    return False


def info_asks_for(info: strawberry.Info, *path: str) -> bool:
    return any(asks_for(field.selections, *path) for field in info.selected_fields)


def count_subquery(queryset: QuerySet) -> Subquery:
    """``SELECT COUNT(*)`` of ``queryset``'s rows (its filters, no order, no joins for
    select_related), as an expression to annotate the same queryset with."""
    counted = (
        queryset.order_by()
        .values("pk")
        .annotate(_count=Func(F("pk"), function="COUNT", output_field=IntegerField()))
    )
    return Subquery(counted.values("_count")[:1], output_field=IntegerField())


def _nullable(model: type[Model], value: Any) -> bool:
    """Whether a key's value can be NULL: some field on its path is nullable (only an
    ``F`` path is known; any other expression may be)."""
    if not isinstance(value, F):
        return True
    for part in value.name.split("__"):
        try:
            field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        except FieldDoesNotExist:
            return True
        if field.null:
            return True
        model = field.related_model or model
    return False


def _own_column(model: type[Model], value: Any) -> Field | None:
    """The model's own concrete field ``value`` names (``F("code")``, ``F("pk")``)."""
    if not isinstance(value, F) or "__" in value.name:
        return None
    if value.name == "pk":
        return model._meta.pk
    try:
        field = model._meta.get_field(value.name)
    except FieldDoesNotExist:
        return None
    return field if field.concrete and not field.is_relation else None


def _undeferred(queryset: QuerySet, names: list[str]) -> QuerySet:
    """``queryset`` with the fields ``names`` loaded even if ``only``/``defer`` left them
    out (the optimizer loads only what the query selects)."""
    fields, defer = queryset.query.deferred_loading
    if defer and fields & set(names):
        return queryset.defer(None).defer(*(fields - set(names)))
    if not defer and fields and not set(names) <= fields:
        return queryset.only(*(fields | set(names)))
    return queryset


@dataclass
class Keyed:
    """A queryset reading its order keys' values, and how to read cursors of it.

    ``queryset``: the rows, each key's value loaded: a column of the model itself as
    it is (never deferred), any other value as a ``_cursor_<i>`` annotation (Django's
    sliced prefetch loses an annotation that repeats a selected column). ``keys``: the
    effective order. ``tag``: what identifies the connection in its cursors
    (:func:`backend.graphql.cursors.tag`). ``columns``: per key, the row's value as an
    expression, its field (the type) and whether it may be NULL. ``attributes``: where
    each value is on a row.
    """

    queryset: QuerySet
    keys: list[cursors.Key]
    tag: str
    columns: list[tuple[F, Field, bool]]
    attributes: list[str]

    @classmethod
    def of(cls, queryset: QuerySet) -> Keyed:
        keys = cursors.keys_of(queryset)
        model = queryset.model
        columns, attributes, aliases, loaded = [], [], {}, []
        for i, key in enumerate(keys):
            field = _own_column(model, key.value)
            if field is not None:
                columns.append((F(field.name), field, field.null))
                attributes.append(field.attname)
                loaded.append(field.name)
            else:
                aliases[f"_cursor_{i}"] = key.value
                columns.append((F(f"_cursor_{i}"), None, _nullable(model, key.value)))
                attributes.append(f"_cursor_{i}")
        queryset = _undeferred(queryset, loaded).annotate(**aliases)
        columns = [
            (row, field or queryset.query.annotations[row.name].output_field, nullable)
            for row, field, nullable in columns
        ]
        return cls(queryset, keys, cursors.tag(model, keys), columns, attributes)

    def decode(self, cursor: str, argument: str) -> list[Any]:
        """The key values of ``cursor``; ``UserInputError`` when it does not fit."""
        fields = [(field, nullable) for _, field, nullable in self.columns]
        order = cursors.describe(self.keys)
        return cursors.decode(cursor, fields, connection=self.tag, argument=argument, order=order)

    def beyond(self, values: list[Any], *, backward: bool = False, inclusive: bool = False):
        """The rows after (``backward``: before) the cursor's values, as a condition."""
        rows = [(row, field) for row, field, _ in self.columns]
        return cursors.keyset(self.keys, rows, values, backward=backward, inclusive=inclusive)

    def ordered(self, queryset: QuerySet, *, backward: bool = False) -> QuerySet:
        return queryset.order_by(*(key.order(backward=backward) for key in self.keys))

    def cursor(self, row: Model) -> str:
        """The cursor of a row read from :attr:`queryset`."""
        return cursors.encode(self.tag, [getattr(row, name) for name in self.attributes])


def check_page_size(first: int | None, last: int | None) -> int | None:
    """``first`` (the default page size when neither is given), checked with ``last``
    against 0 and ``GRAPHQL_MAX_PAGE_SIZE``; ``UserInputError`` names the argument, and
    both when both are given: the Relay specification allows it but "strongly
    discourages" it (Cursor Connections, "Pagination algorithm"), and a page cut from
    both ends is rarely what was meant; the compiled path calls this check too."""
    if first is not None and last is not None:
        raise UserInputError(
            f"Give either 'first' or 'last', not both (got first: {first}, last: {last}): "
            "'first' pages forwards from 'after', 'last' backwards from 'before'."
        )
    if first is None and last is None:
        first = settings.GRAPHQL_DEFAULT_PAGE_SIZE
    for name, size in (("first", first), ("last", last)):
        if size is not None and size < 0:
            raise UserInputError(f"Argument '{name}' must be a non-negative integer.")
        if size is not None and size > settings.GRAPHQL_MAX_PAGE_SIZE:
            raise UserInputError(
                f"Argument '{name}' cannot be higher than {settings.GRAPHQL_MAX_PAGE_SIZE}."
            )
    return first


@strawberry.type(
    name="Connection",
    description="A page of nodes (Relay cursor connection) with the total count of matches.",
)
class CountedConnection(DjangoListConnection[strawberry.relay.NodeType]):
    """A Relay connection over a queryset, paged by keyset cursors (module doc).

    Its page size defaults to ``GRAPHQL_DEFAULT_PAGE_SIZE``; ``first``/``last`` above
    ``GRAPHQL_MAX_PAGE_SIZE`` or negative, and a cursor that does not fit the order,
    raise ``UserInputError``, which the client receives as a BAD_USER_INPUT error naming
    the argument; nothing is truncated silently.
    """

    #: The total when it is already known (a nested connection's parent counted it).
    known_total: strawberry.Private[int | None] = None

    @strawberry.field(description="Total quantity of existing nodes.")
    def total_count(self) -> int | None:
        if self.known_total is not None:
            return self.known_total
        return DjangoListConnection.total_count(self)

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
        first = check_page_size(first, last)
        if not isinstance(nodes, QuerySet):
            raise TypeError("A CountedConnection pages a queryset.")
        keyed = Keyed.of(nodes)
        after_values = None if after is None else keyed.decode(after, "after")
        before_values = None if before is None else keyed.decode(before, "before")
        config = get_queryset_config(nodes)
        if config.optimized and info_asks_for(info, "totalCount"):
            # The count travels with the page, read back by totalCount from the first
            # node; the empty page's fallback counts ``nodes``.
            keyed.queryset = keyed.queryset.annotate(_strawberry_total_count=count_subquery(nodes))
        if not should_resolve_list_connection_edges(info):
            empty = PageInfo(
                start_cursor=None, end_cursor=None, has_previous_page=False, has_next_page=False
            )
            return cls(edges=[], page_info=empty, nodes=nodes)
        return cls._page(keyed, nodes, info, after_values, before_values, first, last, kwargs)

    @classmethod
    def _page(cls, keyed, nodes, info, after_values, before_values, first, last, kwargs):
        page = keyed.queryset
        if after_values is not None:
            page = page.filter(keyed.beyond(after_values))
        if before_values is not None:
            page = page.filter(keyed.beyond(before_values, backward=True))
        checks = {}  # pageInfo's existence tests, as subqueries of the page query
        if after_values is not None and info_asks_for(info, "pageInfo", "hasPreviousPage"):
            checks["_rows_before"] = keyed.queryset.filter(
                keyed.beyond(after_values, backward=True, inclusive=True)
            )
        if before_values is not None and info_asks_for(info, "pageInfo", "hasNextPage"):
            checks["_rows_after"] = keyed.queryset.filter(
                keyed.beyond(before_values, inclusive=True)
            )
        page = page.annotate(**{name: Exists(rows) for name, rows in checks.items()})
        backward = first is None
        size = last if backward else first
        rows = list(keyed.ordered(page, backward=backward)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if backward:
            rows.reverse()

        def exists(name: str) -> bool:
            if name not in checks:
                return False
            return getattr(rows[0], name) if rows else checks[name].exists()

        return cls.of_rows(
            rows,
            keyed=keyed,
            info=info,
            has_previous=(backward and more) or exists("_rows_before"),
            has_next=(not backward and more) or exists("_rows_after"),
            nodes=nodes,
            **kwargs,
        )

    @classmethod
    def of_rows(
        cls,
        rows: Sequence[Model],
        *,
        keyed: Keyed,
        info: strawberry.Info,
        has_previous: bool,
        has_next: bool,
        nodes: QuerySet | None,
        total: int | None = None,
        **kwargs: Any,
    ) -> CountedConnection:
        """The connection of a page already read: ``rows`` (read from
        ``keyed.queryset``, in order), ``pageInfo``'s two answers, ``nodes`` (what
        ``totalCount`` counts unless ``total`` is given)."""
        edge_class = resolve_edge_class(cls)
        edges = [
            edge_class(cursor=keyed.cursor(row), node=cls.resolve_node(row, info=info, **kwargs))
            for row in rows
        ]
        page_info = PageInfo(
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=has_previous,
            has_next_page=has_next,
        )
        return cls(edges=edges, page_info=page_info, nodes=nodes, known_total=total)


class PagedConnection(StrawberryDjangoConnectionExtension):
    """strawberry-django's connection arguments (``before``, ``after``, ``first``,
    ``last``), with ``first`` and ``last`` described as what they do: strawberry gives
    ``last`` the description of ``after`` ("… come after the specified cursor"), and
    neither says that the two are not taken together (:func:`check_page_size`)."""

    def apply(self, field: Any) -> None:
        super().apply(field)
        for argument in field.arguments:
            if argument.python_name in ("first", "last"):
                argument.description = (
                    f"Returns the {argument.python_name} n items from the list "
                    "(not with `first` and `last` both: an error)."
                )

    @classmethod
    def replacing(cls, extensions: Sequence[Any]) -> list[Any]:
        """``extensions`` with strawberry-django's connection extension replaced by
        this one (same ``max_results``)."""
        return [
            cls(max_results=e.max_results) if type(e) is StrawberryDjangoConnectionExtension else e
            for e in extensions
        ]
