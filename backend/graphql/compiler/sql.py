"""PostgreSQL expressions that build a GraphQL answer's JSON, as Django expressions.

Each formats a value exactly as the general executor serializes it (strawberry's
scalars, graphql-core's enums), so the compiled answer is the same JSON:

- ``DateTime``: ``datetime.isoformat()`` of the UTC value Django reads
  (``2024-05-01T08:30:00.250000+00:00``; no fraction when the microseconds are 0);
- ``Date``: ``YYYY-MM-DD``;
- a global id: standard base64 (with padding) of ``"<Type>:<pk>"`` (strawberry's
  ``to_base64``);
- an enum: the GraphQL name of the stored value (the legacy code ``R`` → ``REGION``).

GraphQL names (field names, aliases, type names) are inlined as SQL string literals:
they match ``[_A-Za-z][_0-9A-Za-z]*`` by the GraphQL grammar, which :func:`literal`
checks again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import EmptyResultSet
from django.db.models import (
    BooleanField,
    Expression,
    Func,
    IntegerField,
    JSONField,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\Z")


def literal(name: str) -> str:
    """``name`` (a GraphQL name) as an SQL string literal; ValueError for anything else."""
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a GraphQL name.")
    return f"'{name}'"


def text_literal(name: str) -> RawSQL:
    """The GraphQL name ``name`` as a text value (``__typename``)."""
    return RawSQL(f"{literal(name)}::text", (), TextField())


def boolean(value: bool) -> RawSQL:
    """``true`` or ``false``."""
    return RawSQL("true" if value else "false", (), BooleanField())


def any_of(conditions: list[Expression]) -> Expression:
    """``a OR b OR …`` of boolean expressions; ``false`` for none."""
    if not conditions:
        return boolean(False)
    if len(conditions) == 1:
        return conditions[0]
    return Func(
        *conditions, template="(%(expressions)s)", arg_joiner=" OR ", output_field=BooleanField()
    )


class EmptyAware:
    """An expression over a queryset that Django finds empty before running it (a
    filter ``__in=[]`` raises ``EmptyResultSet`` while compiling): its SQL is then the
    constant ``empty_sql``, the value the database would have given."""

    empty_sql = "NULL"

    def as_sql(self, compiler, connection, *args, **kwargs):
        try:
            return super().as_sql(compiler, connection, *args, **kwargs)
        except EmptyResultSet:
            return self.empty_sql, []


class JsonObject(Func):
    """``json_build_object('key', value, …)``: keys in the given order (a JSON object,
    not ``jsonb``, so the response keeps the order of the selection)."""

    function = "json_build_object"
    output_field = JSONField()

    def __init__(self, pairs: Iterable[tuple[str, Expression]]) -> None:
        arguments = []
        for key, value in pairs:
            arguments += [RawSQL(literal(key), (), TextField()), value]
        super().__init__(*arguments)


class JsonArray(EmptyAware, ArraySubquery):
    """``array_to_json(ARRAY(<subquery>))``: the values of a queryset (one JSON value per
    row) as a JSON array, in its ``ORDER BY`` order; ``[]`` when it has no row."""

    template = "array_to_json(ARRAY(%(subquery)s))"
    output_field = JSONField()
    empty_sql = "'[]'::json"


class FirstValue(EmptyAware, Subquery):
    """The single value of a queryset's first row, NULL when it has no row."""

    empty_sql = "NULL::json"


def first_value(queryset: QuerySet) -> Subquery:
    """The first row's single value of ``queryset`` (a ``values()`` queryset, JSON),
    NULL when it has no row."""
    return FirstValue(queryset[:1], output_field=JSONField())


class RowCount(EmptyAware, Subquery):
    """``SELECT count(*)`` of the rows of a queryset (sliced or not)."""

    template = "(SELECT count(*) FROM (%(subquery)s) AS _rows)"
    output_field = IntegerField()
    empty_sql = "0"


class Exists(EmptyAware, Subquery):
    """True when the queryset has a row. Unlike Django's ``Exists``, keeps the
    queryset's ``ORDER BY``, ``LIMIT`` and ``OFFSET`` (a row at an offset of a page)."""

    template = "EXISTS(%(subquery)s)"
    output_field = BooleanField()
    empty_sql = "false"


class IsoDateTime(Func):
    """A ``timestamptz`` as ``datetime.isoformat()`` writes the UTC value."""

    template = (
        "(regexp_replace(to_char(%(expressions)s AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '\\.000000$', '') || '+00:00')"
    )
    output_field = TextField()


class IsoDate(Func):
    """A ``date`` as ``date.isoformat()``."""

    template = "to_char(%(expressions)s, 'YYYY-MM-DD')"
    output_field = TextField()


class Base64(Func):
    """Standard base64 (with ``=`` padding, no line breaks) of a text's UTF-8 bytes."""

    template = "translate(encode(convert_to(%(expressions)s, 'UTF8'), 'base64'), E'\\n', '')"
    output_field = TextField()


def prefixed(prefix: str, value: Expression) -> Func:
    """``'<prefix>' || value::text`` (``prefix`` a GraphQL name followed by ``:``)."""
    return Func(
        value,
        template=f"({literal(prefix)} || ':' || (%(expressions)s)::text)",
        output_field=TextField(),
    )


class EnumName(Func):
    """The GraphQL enum name of a stored value: ``CASE col WHEN 'R' THEN 'REGION' … END``
    (``names``: stored value → name; values and names are GraphQL enum names or
    one-letter codes, checked by :func:`literal`-like rules)."""

    output_field = TextField()

    def __init__(self, column: Expression, names: Mapping[str, str]) -> None:
        cases = " ".join(f"WHEN {_code(code)} THEN {literal(name)}" for code, name in names.items())
        super().__init__(column, template=f"CASE %(expressions)s {cases} END")


def _code(value: object) -> str:
    """A stored enum value as an SQL literal (text of letters, digits, ``_`` or ``-``)."""
    text = str(value)
    if not re.fullmatch(r"[-_0-9A-Za-z]+", text):
        raise ValueError(f"{text!r} is not a stored enum value the compiler can inline.")
    return f"'{text}'"


def null() -> RawSQL:
    """SQL ``NULL`` (typed, as ``json_build_object`` needs)."""
    return RawSQL("NULL::text", (), TextField())


def empty_array() -> RawSQL:
    """The JSON array ``[]``."""
    return RawSQL("'[]'::json", (), JSONField())


def number(value: int) -> Value:
    """An integer constant."""
    return Value(int(value), output_field=IntegerField())
