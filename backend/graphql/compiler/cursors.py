"""A page of a root connection and its cursors, in SQL, as the general path pages.

The connection's cursors are, for now, strawberry's offset cursors (standard base64 of
``"arrayconnection:<offset>"``, the row's 0-based position in the ordered rows), which
``backend.graphql.connection`` accepts; ``after`` starts the page at the next row.
The page, its cursors and its ``pageInfo`` follow strawberry's ``ListConnection``:
``hasNextPage`` when a row follows the page, ``hasPreviousPage`` when the page does
not start at the first row, ``startCursor``/``endCursor`` those of the first and last
edge (null for an empty page).
"""

from __future__ import annotations

from django.db.models import (
    BigIntegerField,
    Case,
    DateTimeField,
    Expression,
    Func,
    QuerySet,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import NullIf, RowNumber
from strawberry.relay.types import PREFIX
from strawberry.relay.utils import from_base64, to_base64

from backend.graphql.compiler import sql
from backend.graphql.compiler.objects import Unsupported
from backend.graphql.connection import _is_cursor


def start_after(after: str | None) -> int:
    """The offset of the first row of the page after the cursor ``after`` (0 for None);
    :class:`Unsupported` for a cursor the general path refuses."""
    if after is None:
        return 0
    if not _is_cursor(after):
        raise Unsupported("cursor")
    return int(from_base64(after)[1]) + 1


def offset_cursor(offset: Expression) -> Expression:
    """The cursor of the row at the 0-based ``offset`` (an integer expression)."""
    return sql.Base64(sql.prefixed(PREFIX, offset))


class KeysetCursor(Func):
    """The keyset cursor of a row, in one PostgreSQL expression, by the format agreed
    for ``backend.graphql.cursors`` (the keyset paging work): ``"k1:"`` + base64url
    without padding of the UTF-8 JSON text ``[k1, …, kn, pk]`` as
    ``json_build_array(…)::text`` writes it (which equals Python's
    ``json.dumps(values, ensure_ascii=False)``); a timestamp key is its integer
    microseconds since the Unix epoch (UTC). ``keys``: the expressions of the
    connection's effective order keys, then the primary key."""

    template = (
        "('k1:' || translate(encode(convert_to(json_build_array(%(expressions)s)::text, "
        "'UTF8'), 'base64'), E'+/=\\n', '-_'))"
    )
    output_field = TextField()

    def resolve_expression(self, *args, **kwargs):
        resolved = super().resolve_expression(*args, **kwargs)
        resolved.set_source_expressions(
            [
                _epoch_micros(key) if isinstance(key.output_field, DateTimeField) else key
                for key in resolved.get_source_expressions()
            ]
        )
        return resolved


def _epoch_micros(key: Expression) -> Func:
    return Func(
        key,
        template="(extract(epoch from %(expressions)s) * 1000000)::bigint",
        output_field=BigIntegerField(),
    )


class Page:
    """``size`` rows of the ordered queryset ``rows`` from the offset ``start``."""

    def __init__(self, rows: QuerySet, *, start: int, size: int) -> None:
        self.all, self.start, self.size = rows, start, size
        self.model = rows.model

    def rows(self) -> QuerySet:
        """The page's rows, in order (``size`` > 0)."""
        return self.all[self.start : self.start + self.size]

    def edges(self, edge: Expression) -> Expression:
        """The JSON array of ``edge`` (an expression over a row) for the page's rows."""
        if self.size == 0:
            return sql.empty_array()
        return sql.JsonArray(self.rows().values(_json=edge))

    def cursor(self) -> Expression:
        """The cursor of the page's row: its position among all the rows (a window
        ``row_number()`` over the connection's order, counted before the ``OFFSET``)."""
        position = Window(RowNumber(), order_by=list(self.all.query.order_by))
        return offset_cursor(position - sql.number(1))

    def has_next(self) -> Expression:
        after = self.start + self.size
        return sql.Exists(self.all.values("pk")[after : after + 1])

    def has_previous(self) -> Expression:
        return sql.boolean(self.start > 0)

    def start_cursor(self) -> Expression:
        if self.size == 0:
            return sql.null()
        first = sql.Exists(self.all.values("pk")[self.start : self.start + 1])
        cursor = Value(to_base64(PREFIX, self.start), output_field=TextField())
        return Case(When(first, then=cursor), default=sql.null(), output_field=TextField())

    def end_cursor(self) -> Expression:
        if self.size == 0:
            return sql.null()
        count = sql.RowCount(self.rows().values("pk"))
        return offset_cursor(sql.number(self.start - 1) + NullIf(count, sql.number(0)))
