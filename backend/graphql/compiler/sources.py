"""Where the rows of a field come from, as the SQL compiler reads them.

The core's field factories (:mod:`backend.graphql.queries`,
:mod:`backend.graphql.relations`) attach one of these to the strawberry field they
build (in its ``metadata``, :func:`attach`), holding the very queryset functions their
resolvers call: the compiled path builds each level's rows from the same current-row
filters, orders and row restrictions as the general path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Expression, QuerySet

#: Key of a strawberry field's ``metadata`` holding its row source (``metadata`` is
#: what strawberry's field copies keep).
KEY = "sql_source"


@dataclass(frozen=True)
class ConnectionRows:
    """A root Relay connection: ``rows(info, filter=…, order_by=…, validity=…)`` is the
    ordered queryset of every matching row the user may read (the resolver's own
    function; raises ``UserInputError`` on bad input). ``info`` needs
    ``info.context.request`` only."""

    rows: Callable[..., QuerySet]


@dataclass(frozen=True)
class ObjectRows:
    """A root field returning one object or null: ``rows(info, **arguments)`` is the
    queryset whose first row is the answer (e.g. the row with a uuid)."""

    rows: Callable[..., QuerySet]


@dataclass(frozen=True)
class RelatedRows:
    """A list over the reverse relation ``relation`` of the parent model (``children``),
    restricted and ordered by ``queryset(info)`` (district rights included)."""

    relation: str
    queryset: Callable[[Any], QuerySet]


@dataclass(frozen=True)
class RelatedConnection:
    """A Relay connection (``first``/``after``) over the reverse relation ``relation``
    of the parent model (``childrenConnection``), restricted and ordered by
    ``rows(info)`` (district rights included), paged by keyset."""

    relation: str
    rows: Callable[[Any], QuerySet]


@dataclass(frozen=True)
class RelatedCount:
    """An ``Int`` counted by ``expression(info)``, an expression over the parent row
    (a correlated ``COUNT`` subquery with ``OuterRef("pk")``)."""

    expression: Callable[[Any], Expression]


@dataclass(frozen=True)
class RowValue:
    """A value computed by ``expression(info)``, an expression over the parent row (an
    ``EXISTS`` with ``OuterRef("pk")``: whether the viewer may change the row)."""

    expression: Callable[[Any], Expression]


def attach(field: Any, source: object) -> Any:
    """Return ``field`` (a strawberry field) with ``source`` attached."""
    field.metadata = {**(field.metadata or {}), KEY: source}
    return field


def source_of(field: Any) -> object | None:
    """The row source attached to ``field`` (a strawberry field), or None."""
    return (getattr(field, "metadata", None) or {}).get(KEY)
