"""Keyset cursors: the position of a row in a connection's order, held by its key values.

A cursor names the row it was taken from by that row's values of the connection's
effective order keys, so the next page starts right after those values: rows inserted or
deleted before the cursor never make a page skip or repeat a row (an offset would).

The format (agreed with the SQL compiler, which writes the same text in one PostgreSQL
expression; ``k2`` versions it):

- payload: the JSON array ``[tag, k1, …, kn, pk]``: the connection's tag (:func:`tag`: its
  node model's label and its order in words, ``"location.location code"``), so a cursor
  of another connection or another order is refused even when its key types fit; then
  the row's values of the effective order
  keys (the ``orderBy`` fields, then the default order's fields not already named, in
  order; each as stored: the code, the name, not the lower-cased name it is sorted by),
  then the primary key ``pk`` (an integer), the final tie-breaker;
- the JSON text as PostgreSQL's ``json_build_array(...)::text`` writes it, which equals
  Python's ``json.dumps(values, ensure_ascii=False)``: ``", "`` between elements,
  ``null`` for NULL, integers as digits; a date is ``"YYYY-MM-DD"``, a timestamp its
  integer microseconds since the Unix epoch (UTC; in SQL
  ``(extract(epoch from ts) * 1000000)::bigint``);
- cursor = ``"k2:"`` + base64url of the payload's UTF-8 bytes without ``=`` padding
  (PostgreSQL: ``translate(encode(convert_to(payload, 'UTF8'), 'base64'), E'+/=\\n', '-_')``).

A cursor whose prefix, base64, JSON, tag, arity or types do not fit the connection's order
is refused with ``UserInputError`` (BAD_USER_INPUT) naming the argument and the order
(the ``k1`` cursors of before, which held no tag, too).

NULL key values sort last ascending and first descending (PostgreSQL's default, written
explicitly for SQLite); :func:`keyset` compares accordingly. The primary key is
ascending unless the order names it (``-pk``).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Expression, F, OrderBy, Q, Value
from django.db.models.lookups import Exact, GreaterThan, IsNull, LessThan

from backend.errors import UserInputError
from backend.ordering import SortTerm

PREFIX = "k2:"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Key:
    """One key of a connection's order.

    ``name``: how messages name it (``"code"``, ``"locationCode"``). ``value``: the
    stored value the cursor holds (``F("code")``, ``F("location__code")``). ``by``: what
    the database sorts and compares, built from a value (``Lower``; None: the value
    itself). ``descending``: NULLs first when descending, last when ascending.
    """

    name: str
    value: Expression
    by: Callable[[Expression], Expression] | None = None
    descending: bool = False

    def sorted(self, value: Expression | None = None) -> Expression:
        """The expression the database sorts by, of ``value`` (default: the row's)."""
        value = self.value if value is None else value
        return self.by(value) if self.by is not None else value

    def order(self, *, backward: bool = False) -> KeyOrder:
        """This key as an ``order_by`` term (reversed, NULLs too, when ``backward``)."""
        descending = self.descending != backward
        return KeyOrder(self, self.sorted(), descending=descending)

    @property
    def is_pk(self) -> bool:
        return isinstance(self.value, F) and self.value.name == "pk"


class KeyOrder(SortTerm):
    """An ``order_by`` term (the NULL rule of :class:`backend.ordering.SortTerm`) that
    remembers its :class:`Key` (read by :func:`keys_of`)."""

    def __init__(self, key: Key, expression: Expression, *, descending: bool):
        super().__init__(expression, descending=descending)
        self.key = key


def _key_of(term: Any) -> Key:
    if isinstance(term, KeyOrder):
        return term.key
    if isinstance(term, str):
        name = term.removeprefix("-")
        return Key(name, F(name), descending=term.startswith("-"))
    if isinstance(term, OrderBy):
        inner = term.expression
        name = inner.name if isinstance(inner, F) else str(inner)
        return Key(name, inner, descending=term.descending)
    if isinstance(term, F):
        return Key(term.name, term)
    return Key(str(term), term)


def keys_of(queryset: models.QuerySet) -> list[Key]:
    """The effective order keys of ``queryset`` (its ``order_by``, else the model's
    ordering), ending with the primary key (appended ascending when absent)."""
    query = queryset.query
    terms = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
    if "?" in terms:
        raise ValueError("A random order has no keyset cursors.")
    keys = [_key_of(term) for term in terms]
    for index, key in enumerate(keys):
        if key.is_pk or key.name == queryset.model._meta.pk.name:
            return keys[: index + 1]
    return [*keys, Key("pk", F("pk"))]


def describe(keys: Sequence[Key]) -> str:
    """The order in words for messages: ``"code, name desc"`` (the primary key left out)."""
    words = [f"{k.name} desc" if k.descending else k.name for k in keys if not k.is_pk]
    return ", ".join(words) or "id"


def tag(model: type[models.Model], keys: Sequence[Key]) -> str:
    """What identifies a connection in its cursors: the label of the model its nodes are
    and its order in words (``"payer.payer email desc, name"``)."""
    return f"{model._meta.label_lower} {describe(keys)}"


# --- encoding --------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return (value - EPOCH) // MICROSECOND
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def encode(connection: str, values: Sequence[Any]) -> str:
    """The cursor of a row whose key values are ``values`` (the primary key last) in the
    connection tagged ``connection`` (:func:`tag`)."""
    payload = json.dumps([connection, *(_json_value(v) for v in values)], ensure_ascii=False)
    return PREFIX + base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()


def _python_value(field: models.Field, value: Any) -> Any:
    """The Python value of one JSON key value for ``field``; ValueError when it does
    not fit the field's type."""
    if isinstance(field, models.DateTimeField):
        if type(value) is not int:
            raise ValueError
        try:
            return EPOCH + value * MICROSECOND
        except OverflowError as error:
            raise ValueError from error
    if isinstance(field, models.DateField):
        if not isinstance(value, str) or not DATE.fullmatch(value):
            raise ValueError
        return datetime.date.fromisoformat(value)
    if isinstance(field, models.BooleanField):
        if type(value) is not bool:
            raise ValueError
        return value
    if isinstance(field, models.IntegerField | models.AutoField):
        if type(value) is not int or not -(2**63) <= value < 2**63:
            raise ValueError
        return value
    if isinstance(field, models.FloatField):
        if type(value) not in (int, float):
            raise ValueError
        return value
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError  # a NUL is in no stored text (PostgreSQL cannot hold or compare it)
    return value


def decode(
    cursor: str,
    fields: Sequence[tuple[models.Field, bool]],
    *,
    connection: str,
    argument: str,
    order: str,
) -> list[Any]:
    """The key values a cursor holds, checked against the connection's tag and keys.

    ``fields``: per key, its model field (the type) and whether it may be NULL;
    ``connection``: the connection's :func:`tag`. Raises ``UserInputError`` ("Argument
    'after' is not a cursor of this connection (ordered by code).") for any prefix,
    base64, JSON, tag, arity or type that does not fit.
    """
    try:
        if not cursor.startswith(PREFIX):
            raise ValueError
        text = cursor.removeprefix(PREFIX)
        if not text.isascii():
            raise ValueError
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        payload = json.loads(raw.decode())
        if not isinstance(payload, list) or not payload or payload[0] != connection:
            raise ValueError  # another connection's cursor (or another order's)
        values = payload[1:]
        if len(values) != len(fields):
            raise ValueError
        return [
            None if value is None and nullable else _python_value(field, value)
            for (field, nullable), value in zip(fields, values, strict=True)
        ]
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as error:
        raise UserInputError(
            f"Argument '{argument}' is not a cursor of this connection (ordered by {order})."
        ) from error


# --- the keyset condition ----------------------------------------------------------


def _beyond(key: Key, row: Expression, literal: Value, *, backward: bool) -> Q | None:
    """Rows whose key comes strictly after ``value`` (None: no row can)."""
    descending = key.descending != backward  # NULLs first exactly when descending
    if literal.value is None:
        return Q(IsNull(row, False)) if descending else None
    ahead = (LessThan if descending else GreaterThan)(key.sorted(row), key.sorted(literal))
    return Q(ahead) if descending else Q(ahead) | Q(IsNull(row, True))


def _equal(key: Key, row: Expression, literal: Value) -> Q:
    if literal.value is None:
        return Q(IsNull(row, True))
    return Q(Exact(key.sorted(row), key.sorted(literal)))


def keyset(
    keys: Sequence[Key],
    rows: Sequence[tuple[Expression, models.Field]],
    values: Sequence[Any],
    *,
    backward: bool = False,
    inclusive: bool = False,
) -> Q:
    """The condition "the row comes after the cursor" in the order of ``keys``.

    ``rows``: per key, the row's value expression (e.g. ``F`` of an annotation) and its
    field (the type of the cursor's value).
    ``backward``: before the cursor instead. ``inclusive``: the cursor's row itself
    (equal on every key) matches too. NULLs are placed as the order places them.
    """
    condition: Q | bool = inclusive
    for key, (row, field), value in reversed(list(zip(keys, rows, values, strict=True))):
        literal = Value(value, output_field=field)
        beyond = _beyond(key, row, literal, backward=backward)
        if condition is False:
            tied: Q | None = None
        elif condition is True:
            tied = _equal(key, row, literal)
        else:
            tied = _equal(key, row, literal) & condition
        parts = [part for part in (beyond, tied) if part is not None]
        condition = False if not parts else parts[0] if len(parts) == 1 else parts[0] | parts[1]
    if isinstance(condition, bool):
        return Q() if condition else Q(pk__in=[])
    return condition
