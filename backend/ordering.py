"""How rows sort by a field: one rule per model, the same on every surface.

A versioned model names in ``sort_rules`` (:class:`backend.versioning.VersionedModel`)
the fields that do not sort by their stored value, with what the database sorts by
instead, built from the field's expression: ``{"name": Lower}`` sorts names as people
read them, ignoring case by the project's one case rule on SQLite and PostgreSQL alike
(:mod:`backend.casefold`: SQLite compiles ``Lower`` as ``UNICODE_LOWER``); a level code
by its rank (R, D, W, V). GraphQL's ``orderBy``
(:func:`backend.graphql.queries.versioned_connection`: the ``by`` of its
:class:`~backend.graphql.inputs.Sort`), FHIR's ``_sort`` and JSON:API's ``sort`` (and the
default orders of both, the model's ``Meta.ordering``) read it here, so that one field
sorts alike wherever it is asked for, and every term is a :class:`SortTerm` (one NULL
rule). What stays apart: GraphQL builds its list of terms itself
(:func:`backend.graphql.inputs.order_by_fields`), since it refuses a field named twice
where ``_sort`` and ``sort`` keep the first, ends with the connection's default order
rather than ``Meta.ordering``, sorts by values of other modules (``LOCATION_CODE``) and
keeps each term's key for its cursors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db.models import Expression, F, OrderBy

#: What the database sorts by, built from a field's expression (``Lower``).
SortRule = Callable[[Expression], Expression]


def sort_rules(model: Any) -> Mapping[str, SortRule]:
    """``model``'s fields that sort by a rule -> the rule (empty for a model without)."""
    return getattr(model, "sort_rules", {})


class SortTerm(OrderBy):
    """An ``order_by`` term of ``expression`` (what the database sorts by) in the
    project's one NULL rule: NULLs last ascending and first descending on every
    database (PostgreSQL's default, written out for SQLite, whose default is the
    opposite). Every order is built of these: :func:`order_terms` (FHIR, JSON:API) and
    GraphQL's keys (:class:`backend.graphql.cursors.KeyOrder`, whose keyset comparison,
    :func:`backend.graphql.cursors.keyset`, and the SQL compiler follow the same rule)."""

    def __init__(self, expression: Expression, *, descending: bool = False):
        super().__init__(
            expression,
            descending=descending,
            nulls_first=True if descending else None,
            nulls_last=None if descending else True,
        )


def order_terms(model: Any, names: Iterable[str]) -> list[OrderBy]:
    """Django ``order_by`` terms for the field names ``names`` (``"-name"``: descending)
    of ``model``'s rows, each sorted by its rule (:func:`sort_rules`) or its value, then
    the fields of the model's ``Meta.ordering`` not named, then the primary key: a
    stable order for pages. A field named twice counts once (the first). NULL values
    sort by :class:`SortTerm`'s rule, as GraphQL's orders do."""
    rules = sort_rules(model)
    terms: list[OrderBy] = []
    seen: set[str] = set()
    for name in [*names, *model._meta.ordering, "pk"]:
        field = name.removeprefix("-")
        if field in seen:
            continue
        seen.add(field)
        value = F(field)
        sorted_by = rules[field](value) if field in rules else value
        terms.append(SortTerm(sorted_by, descending=name.startswith("-")))
        if field in ("pk", model._meta.pk.name):
            break
    return terms
