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
from typing import Any

import strawberry
from django.db.models import Expression, F, OrderBy, Q, QuerySet

from backend.errors import UserInputError
from backend.graphql.cursors import Key
from backend.permissions import require_permission
from backend.registry import view_permissions
from backend.text import contains_any, filter_text
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
    """One order field of a connection (a value of ``order_fields``): its ``description``
    and how the connection sorts by it.

    ``value``: the stored value a cursor holds: a field path, an expression, or a
    callable returning one, called per request (e.g. another module's lookup, which is
    not available while the schema's classes are defined); default: the field named
    like the order field. ``by``: what the database sorts and compares, built from a
    value expression (``Lower``, a level rank); default: the value itself.
    """

    description: str = ""
    value: str | Expression | Callable[[], Expression] | None = None
    by: Callable[[Expression], Expression] | None = None
    #: The GraphQL type (name, e.g. ``"Location"``) of another module whose value the
    #: key is: ordering by it needs that type's view permission, since the order and
    #: the cursors (which hold the key) show the value. None: a value of the row itself.
    of: str | None = None

    def key(self, field: str, *, descending: bool) -> Key:
        value = self.value if self.value is not None else field
        if callable(value) and not isinstance(value, Expression):
            value = value()
        head, *rest = field.split("_")
        name = head + "".join(part.title() for part in rest)
        return Key(name, F(value) if isinstance(value, str) else value, self.by, descending)


def order_fields_enum(name: str, fields: Mapping[str, Sort], what: str) -> type[Enum]:
    """The strawberry enum ``name`` of the fields ``what`` (plural) can be ordered by:
    a member per entry of ``fields`` (order field -> :class:`Sort`), valued by the order
    field (``"location_code"``), named by it in capitals (``LOCATION_CODE``), described
    by its ``Sort``."""
    members = {
        field.upper(): strawberry.enum_value(field, description=sort.description)
        for field, sort in fields.items()
    }
    return strawberry.enum(Enum(name, members), description=f"Fields {what} can be ordered by.")


def order_by_fields(
    orders: list | None,
    default: tuple[str, ...],
    expressions: Mapping[str, Sort] | None = None,
    *,
    user: Any = None,
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

    ``user``: the request's user. A field whose :class:`Sort` is read from another
    module's type (``of``) needs that type's view permission: the order and the
    cursors would show its values. Raises ``PermissionDenied`` naming the permission
    and the field otherwise (``user`` None: not checked, for an operator's code).
    """
    expressions = expressions or {}
    terms: list[tuple[str, bool]] = []
    for order in orders or ():
        if any(name == order.field.value for name, _ in terms):
            raise UserInputError(
                f"orderBy names the field {order.field.name} twice; name each field once."
            )
        of = expressions.get(order.field.value, Sort()).of
        if of is not None and user is not None:
            permission = view_permissions()[of]
            require_permission(user, permission, f"order by {order.field.name}")
        terms.append((order.field.value, order.direction is OrderDirection.DESC))
    for name in default:
        field = name.removeprefix("-")
        if all(named != field for named, _ in terms):
            terms.append((field, name.startswith("-")))
    keys = [expressions.get(f, Sort()).key(f, descending=desc) for f, desc in terms]
    return [key.order() for key in [*keys, Key("pk", F("pk"))]]


#: Most values a list field of a filter accepts (``parents``, ``ancestors``).
FILTER_LIST_LIMIT = 1000

#: How a filter input reads its texts (:func:`check_filter_texts`), for its description.
FILTER_TEXTS = (
    "all given filters must match (AND). Texts are matched without their surrounding "
    "white space; a blank text is an error (leave the field out)."
)


def check_filter_texts(where: object | None) -> None:
    """Read the text fields of a filter input ``where`` by every surface's rule
    (:func:`backend.text.filter_text`): each is trimmed of its surrounding white space
    in place; ``UserInputError`` (its ``argument`` the field, ``filter.search``) when one
    is blank once trimmed (no filter matches by an empty text: leave the field out),
    holds a NUL or is over :data:`backend.text.FILTER_TEXT_LIMIT` characters, or when a
    list field holds over :data:`FILTER_LIST_LIMIT` values."""
    if where is None:
        return
    for field in dataclasses.fields(where):
        value = getattr(where, field.name)
        head, *rest = field.name.split("_")
        name = head + "".join(part.title() for part in rest)
        if isinstance(value, str):
            setattr(where, field.name, filter_text(f"filter.{name}", value))
        if isinstance(value, list) and len(value) > FILTER_LIST_LIMIT:
            raise UserInputError(
                f"filter.{name} has {len(value)} values; at most {FILTER_LIST_LIMIT}."
            )


#: Where a filter field keeps how it matches (strawberry field metadata).
MATCH = "filter_match"


@dataclass(frozen=True)
class Match:
    """How a filter field matches rows: the Django ``lookup`` its value fills
    (``"name__icontains"``), after ``value`` (e.g. a normalisation), or, for ``search``,
    any of the text fields ``search`` containing it (case-insensitive)."""

    lookup: str | None = None
    value: Callable[[object], object] | None = None
    search: tuple[str, ...] = ()


def filter_field(lookup: str, description: str, *, value: Callable | None = None) -> object:
    """An optional field of a filter input (default null: no condition), described by
    ``description``: rows match when the Django lookup ``lookup`` holds for the given
    value (an enum gives its value), passed through ``value`` first when given."""
    match = Match(lookup=lookup, value=value)
    return strawberry.field(default=None, description=description, metadata={MATCH: match})


def search_field(fields: tuple[str, ...], description: str) -> object:
    """An optional text field of a filter input, described by ``description``: rows
    match when any of the model's text fields ``fields`` contains it (case-insensitive)."""
    return strawberry.field(
        default=None, description=description, metadata={MATCH: Match(search=fields)}
    )


def _condition(match: Match, value: object) -> Q:
    if match.search:
        return contains_any(match.search, str(value))
    if isinstance(value, Enum):
        value = value.value
    return Q(**{match.lookup: match.value(value) if match.value else value})


def apply_filter(queryset: QuerySet, where: object | None) -> QuerySet:
    """``queryset`` filtered by a module's filter input ``where`` (None: unchanged).

    Reads the input's texts (:func:`check_filter_texts`: trimmed, refused blank or too
    long), then keeps the rows
    matching every field of ``where`` declared with :func:`filter_field` or
    :func:`search_field` that is given (not null). Fields declared otherwise are the
    module's to apply (a subtree).
    """
    check_filter_texts(where)
    if where is None:
        return queryset
    for field in dataclasses.fields(where):
        value = getattr(where, field.name)
        match = field.metadata.get(MATCH)
        if match is not None and value is not None:
            queryset = queryset.filter(_condition(match, value))
    return queryset
