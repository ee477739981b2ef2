"""Inputs and helpers shared by every module: ordering direction and validity.

Validity follows openIMIS: a row with ``validity_to`` NULL is current; a history row
is valid from ``validity_from`` (inclusive) to ``validity_to`` (exclusive).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

import strawberry
from django.db.models import Expression, F, OrderBy, Q, QuerySet

from backend.errors import UserInputError
from backend.graphql.cursors import Key
from backend.versioning import References


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("asc", description="Ascending (A to Z).")
    DESC = strawberry.enum_value("desc", description="Descending (Z to A).")


@strawberry.enum(
    name="References",
    description=(
        "What a delete does with other modules' current rows that refer to the deleted "
        "rows (Django's on_delete terms; nothing is ever removed, history is kept)."
    ),
)
class ReferencesEnum(Enum):
    PROTECT = strawberry.enum_value(
        References.PROTECT, description="Refuse the delete, listing the referring rows."
    )
    CASCADE = strawberry.enum_value(
        References.CASCADE, description="Delete the referring rows too (validityTo set)."
    )
    REASSIGN = strawberry.enum_value(
        References.REASSIGN,
        description="Point the referring rows at another row (a history row kept for each).",
    )


def order_input(name: str, fields: type[Enum], what: str) -> type:
    """The input type ``name`` of one ordering criterion for ``what`` (plural): a field of
    the enum ``fields`` and a direction (ascending by default)."""
    namespace = {
        "__annotations__": {"field": fields, "direction": OrderDirection},
        "field": strawberry.field(description="Field to order by."),
        "direction": strawberry.field(default=OrderDirection.ASC, description="Sort direction."),
    }
    return strawberry.input(
        type(name, (), namespace), description=f"One ordering criterion for {what}."
    )


@strawberry.input(
    description=(
        "Which versions of the rows to return. Without it only current rows "
        "(validityTo null) are returned. Give at most one of the two fields."
    ),
    one_of=False,
)
class ValidityFilter:
    at: datetime.datetime | None = strawberry.field(
        default=None,
        description=(
            "Return the rows as they were at this instant: validityFrom <= at and "
            "(validityTo is null or validityTo > at). ISO 8601 with zone."
        ),
    )
    include_history: bool = strawberry.field(
        default=False,
        description="Return current and history rows (every version).",
    )


def apply_validity(queryset: QuerySet, validity: ValidityFilter | None) -> QuerySet:
    """Restrict ``queryset`` (a :class:`backend.versioning.VersionedQuerySet`) to the
    requested versions.

    ``None`` -> current rows only. Raises ``UserInputError`` when both ``at`` and
    ``includeHistory`` are given (the answer would be ambiguous), or when ``at`` has no
    time zone or cannot be expressed in UTC.
    """
    if validity is None:
        return queryset.current()
    if validity.at is not None and validity.include_history:
        raise UserInputError("validity: give either 'at' or 'includeHistory', not both.")
    if validity.include_history:
        return queryset
    if validity.at is not None:
        at = validity.at
        if at.tzinfo is None or at.utcoffset() is None:
            raise UserInputError(
                "validity.at needs a time zone, e.g. 2016-06-01T00:00:00Z or +03:00."
            )
        try:
            at = at.astimezone(datetime.UTC)
        except OverflowError as error:
            raise UserInputError(f"validity.at is out of range: {validity.at}.") from error
        return queryset.valid_at(at)
    return queryset.current()


@dataclass(frozen=True)
class Sort:
    """How a connection sorts by one order field (a value of ``order_expressions``).

    ``value``: the stored value a cursor holds: a field path, an expression, or a
    callable returning one, called per request (e.g. another module's lookup, which is
    not available while the schema's classes are defined); default: the field named
    like the order field. ``by``: what the database sorts and compares, built from a
    value expression (``Lower``, a level rank); default: the value itself.
    """

    value: str | Expression | Callable[[], Expression] | None = None
    by: Callable[[Expression], Expression] | None = None

    def key(self, field: str, *, descending: bool) -> Key:
        value = self.value if self.value is not None else field
        if callable(value) and not isinstance(value, Expression):
            value = value()
        head, *rest = field.split("_")
        name = head + "".join(part.title() for part in rest)
        return Key(name, F(value) if isinstance(value, str) else value, self.by, descending)


def order_by_fields(
    orders: list | None,
    default: tuple[str, ...],
    expressions: Mapping[str, Sort] | None = None,
) -> list[OrderBy]:
    """Django ``order_by`` arguments for a list of ``{field, direction}`` inputs: the
    connection's effective order (:mod:`backend.graphql.cursors`).

    ``field`` is a strawberry enum whose values are model field names, or keys of
    ``expressions`` (a :class:`Sort`: what the cursor holds and what the database
    compares). The fields of ``default`` (names, ``"-name"`` descending) follow those
    not named in ``orders``, then the primary key, so pages are stable and every order
    ends the same way. Raises ``UserInputError`` when a field is named twice (the
    second criterion could never change the order; this also bounds the list by the
    number of fields). Null values sort last ascending and first descending on every
    database (PostgreSQL's default; SQLite's is the opposite).
    """
    expressions = expressions or {}
    terms: list[tuple[str, bool]] = []
    for order in orders or ():
        if any(name == order.field.value for name, _ in terms):
            raise UserInputError(
                f"orderBy names the field {order.field.name} twice; name each field once."
            )
        terms.append((order.field.value, order.direction is OrderDirection.DESC))
    for name in default:
        field = name.removeprefix("-")
        if all(named != field for named, _ in terms):
            terms.append((field, name.startswith("-")))
    keys = [expressions.get(f, Sort()).key(f, descending=desc) for f, desc in terms]
    return [key.order() for key in [*keys, Key("pk", F("pk"))]]


#: Longest text a filter accepts: longer than any code, name, phone or e-mail, and
#: short enough that no database refuses the pattern (SQLite: "LIKE pattern too complex").
FILTER_TEXT_LIMIT = 200


#: Most values a list field of a filter accepts (``parents``, ``ancestors``).
FILTER_LIST_LIMIT = 1000


def check_filter_texts(where: object | None) -> None:
    """Raise ``UserInputError`` naming a text field of a filter input over
    :data:`FILTER_TEXT_LIMIT` characters, or a list field over :data:`FILTER_LIST_LIMIT`
    values."""
    if where is None:
        return
    for field in dataclasses.fields(where):
        value = getattr(where, field.name)
        head, *rest = field.name.split("_")
        name = head + "".join(part.title() for part in rest)
        if isinstance(value, str) and len(value) > FILTER_TEXT_LIMIT:
            raise UserInputError(
                f"filter.{name} has {len(value)} characters; at most {FILTER_TEXT_LIMIT}."
            )
        if isinstance(value, list) and len(value) > FILTER_LIST_LIMIT:
            raise UserInputError(
                f"filter.{name} has {len(value)} values; at most {FILTER_LIST_LIMIT}."
            )


def apply_filter(
    queryset: QuerySet,
    where: object,
    lookups: Mapping[str, object],
    *,
    search: str | None = None,
    search_fields: tuple[str, ...] = (),
) -> QuerySet:
    """The common part of a module's filter input, applied to ``queryset``.

    Checks the input's text lengths (:func:`check_filter_texts`), filters by every
    Django lookup of ``lookups`` whose value is not None (all must match), and, when
    ``search`` is given, keeps rows where any of ``search_fields`` contains it
    (case-insensitive). Module-specific conditions (a subtree) are the caller's.
    """
    check_filter_texts(where)
    queryset = queryset.filter(**{k: v for k, v in lookups.items() if v is not None})
    if search:
        matches = Q()
        for name in search_fields:
            matches |= Q(**{f"{name}__icontains": search})
        queryset = queryset.filter(matches)
    return queryset
