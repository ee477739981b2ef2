"""A page of a root connection and its cursors, in SQL, as the general path pages.

The connection's cursors are keyset cursors (:mod:`backend.graphql.cursors`: the row's
order keys' values); ``after`` starts the page at the first row whose keys come after
the cursor's. The page, its cursors and its ``pageInfo`` follow ``CountedConnection``:
``hasNextPage`` when a row follows the page, ``hasPreviousPage`` when, after a cursor,
a row comes at or before it, ``startCursor``/``endCursor`` those of the first and last
edge (null for an empty page).
"""

from __future__ import annotations

from django.db.models import (
    BigIntegerField,
    DateTimeField,
    Expression,
    Func,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Cast

from backend.errors import UserInputError
from backend.graphql.compiler import sql
from backend.graphql.compiler.objects import Unsupported
from backend.graphql.connection import Keyed


class KeysetCursor(Func):
    """The keyset cursor of a row, in one PostgreSQL expression, by the format agreed
    for ``backend.graphql.cursors`` (the keyset paging work): ``"k2:"`` + base64url
    without padding of the UTF-8 JSON text ``[tag, k1, …, kn, pk]`` as
    ``json_build_array(…)::text`` writes it (which equals Python's
    ``json.dumps(values, ensure_ascii=False)``); a timestamp key is its integer
    microseconds since the Unix epoch (UTC). ``keys``: the connection's tag (a text
    value: :func:`backend.graphql.cursors.tag`), then the expressions of its effective
    order keys, then the primary key."""

    template = (
        "('k2:' || translate(encode(convert_to(json_build_array(%(expressions)s)::text, "
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
    """``size`` rows of the ordered queryset ``rows`` after the cursor ``after`` (None:
    from the first row), paged by keyset as ``CountedConnection`` pages
    (:class:`backend.graphql.connection.Keyed`): the rows whose order keys come after
    the cursor's values. :class:`Unsupported` for a cursor the general path refuses."""

    def __init__(self, rows: QuerySet, *, after: str | None, size: int) -> None:
        self.keyed = Keyed.of(rows)
        try:
            self.after = None if after is None else self.keyed.decode(after, "after")
        except UserInputError as error:  # the general path answers it as its error
            raise Unsupported("cursor") from error
        self.all = self.keyed.queryset
        following = (
            self.all if self.after is None else self.all.filter(self.keyed.beyond(self.after))
        )
        self.following, self.size = self.keyed.ordered(following), size
        self.model = rows.model

    def rows(self) -> QuerySet:
        """The page's rows, in order (``size`` > 0)."""
        return self.following[: self.size]

    def edges(self, edge: Expression) -> Expression:
        """The JSON array of ``edge`` (an expression over a row) for the page's rows."""
        if self.size == 0:
            return sql.empty_array()
        return sql.JsonArray(self.rows().values(_json=edge))

    def cursor(self) -> Expression:
        """The cursor of the page's row: its order keys' values (:class:`KeysetCursor`)."""
        tag = Cast(Value(self.keyed.tag), TextField())  # a typed parameter: ``%s::text``
        return KeysetCursor(tag, *(row for row, _field, _nullable in self.keyed.columns))

    def has_next(self) -> Expression:
        return sql.Exists(self.following.values("pk")[self.size : self.size + 1])

    def has_previous(self) -> Expression:
        """After a cursor: whether a row comes at or before it (the general path's
        ``hasPreviousPage``); without one, false."""
        if self.after is None:
            return sql.boolean(False)
        before = self.keyed.beyond(self.after, backward=True, inclusive=True)
        return sql.Exists(self.all.filter(before).values("pk")[:1])

    def _cursors(self) -> Expression:
        return sql.JsonArray(self.rows().values(_json=self.cursor()))

    def start_cursor(self) -> Expression:
        if self.size == 0:
            return sql.null()
        return JsonElement(self._cursors(), 0)

    def end_cursor(self) -> Expression:
        if self.size == 0:
            return sql.null()
        return JsonElement(self._cursors(), -1)


class JsonElement(Func):
    """The text of the element at ``index`` of a JSON array (negative: from the end);
    NULL when there is none."""

    output_field = TextField()

    def __init__(self, array: Expression, index: int) -> None:
        super().__init__(array, template=f"(%(expressions)s ->> {int(index)})")
