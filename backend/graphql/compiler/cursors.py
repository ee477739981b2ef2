"""A page of a connection and its cursors, in SQL, as the general path pages.

The connection's cursors are keyset cursors (:mod:`backend.graphql.cursors`: the row's
order keys' values); ``after`` starts the page at the first row whose keys come after
the cursor's, ``before`` ends it before the cursor's. The page, its cursors and its
``pageInfo`` follow ``CountedConnection``: the first ``first`` rows, or the last ``last``
(never both: :func:`~backend.graphql.connection.check_page_size` refuses them);
``hasNextPage`` when a row follows the
page's or, before a cursor, a row comes at or after it; ``hasPreviousPage`` when rows
precede the page's or, after a cursor, a row comes at or before it;
``startCursor``/``endCursor`` those of the first and last edge (null for an empty page).
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
from backend.graphql.compiler import grouped, sql
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
    """A page of the ordered queryset ``rows`` as ``CountedConnection`` pages it
    (:class:`backend.graphql.connection.Keyed`: keyset cursors): the rows after the
    cursor ``after`` and before the cursor ``before`` (None: no bound), of which the
    ``first`` or, when ``first`` is None, the last ``last`` (checked by
    :func:`~backend.graphql.connection.check_page_size`: never both). :class:`Unsupported`
    for a cursor the general path refuses."""

    def __init__(
        self,
        rows: QuerySet,
        *,
        after: str | None = None,
        before: str | None = None,
        first: int | None,
        last: int | None = None,
    ) -> None:
        self.keyed = Keyed.of(rows)
        self.after, self.before = self._decode(after, "after"), self._decode(before, "before")
        self.all = window = self.keyed.queryset
        if self.after is not None:
            window = window.filter(self.keyed.beyond(self.after))
        if self.before is not None:
            window = window.filter(self.keyed.beyond(self.before, backward=True))
        self.window, self.first, self.last = window, first, last
        self.backward = first is None  # the last ``last`` rows
        self.size = last if self.backward else first
        self.model = rows.model

    def _decode(self, cursor: str | None, argument: str) -> list | None:
        try:
            return None if cursor is None else self.keyed.decode(cursor, argument)
        except UserInputError as error:  # the general path answers it as its error
            raise Unsupported("cursor") from error

    def _ordered(self, *, backward: bool = False) -> QuerySet:
        return self.keyed.ordered(self.window, backward=backward)

    def rows(self) -> QuerySet:
        """The page's rows, in order (``size`` > 0)."""
        if not self.backward:
            return self._ordered()[: self.first]
        taken = self._ordered(backward=True)[: self.last]
        return self.keyed.ordered(self.all.filter(pk__in=taken.values("pk")))

    def edges(self, edge: Expression) -> Expression:
        """The JSON array of ``edge`` (an expression over a row) for the page's rows."""
        if self.size == 0:
            return sql.empty_array()
        if grouped.reads_grouped(edge):  # the page's keys once, then its rows' JSON
            rows = self.keyed.ordered(self.all.filter(grouped.InPage()))
            return grouped.PagedArray(rows.values(_json=edge), self.rows().values("pk"))
        return sql.JsonArray(self.rows().values(_json=edge))

    def cursor(self) -> Expression:
        """The cursor of the page's row: its order keys' values (:class:`KeysetCursor`)."""
        tag = Cast(Value(self.keyed.tag), TextField())  # a typed parameter: ``%s::text``
        return KeysetCursor(tag, *(row for row, _field, _nullable in self.keyed.columns))

    def _beyond(self, values: list, *, backward: bool) -> Expression:
        """Whether a row comes at or after (``backward``: at or before) a cursor's keys."""
        beyond = self.keyed.beyond(values, backward=backward, inclusive=True)
        return sql.Exists(self.all.filter(beyond).values("pk")[:1])

    def has_next(self) -> Expression:
        """A row follows the page's rows (forward), or, before a cursor,
        a row comes at or after it (the general path's ``hasNextPage``)."""
        checks = []
        if not self.backward:
            checks.append(sql.Exists(self._ordered().values("pk")[self.first : self.first + 1]))
        if self.before is not None:
            checks.append(self._beyond(self.before, backward=False))
        return sql.any_of(checks)

    def has_previous(self) -> Expression:
        """Rows precede the page's rows (backward), or, after a cursor, a row comes at
        or before it (the general path's ``hasPreviousPage``); false otherwise."""
        checks = []
        if self.backward:
            checks.append(
                sql.Exists(self._ordered(backward=True).values("pk")[self.last : self.last + 1])
            )
        if self.after is not None:
            checks.append(self._beyond(self.after, backward=True))
        return sql.any_of(checks)

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
