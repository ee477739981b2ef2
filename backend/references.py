"""Readable references: a row read refers only to rows the user may read.

A to-one reference (a payer's location, a location's parent) to a row outside the
user's district rights (:mod:`backend.rights`) is shown as none, on every surface,
unless the row's own placement implies it readable (:func:`implies_readable`): a
payer's location always, a location's parent on current rows only (a history
version's parent may be a former parent no longer above the user's districts). The
check is a correlated ``EXISTS`` in the query reading the rows
(:func:`with_reference_flags`, :func:`readable_referred`), or one query for a single
row (:func:`may_read_reference`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    Expression,
    ForeignKey,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.lookups import IsNull

from backend.rights import placement_of, readable, scope

#: The current rows of a versioned model (:mod:`backend.versioning`: ``validity_to``
#: NULL), on which a location's parent is readable whenever the location is.
CURRENT = Q(validity_to__isnull=True)


def implies_readable(model: type[Model], relation: str, *, history: bool = True) -> bool:
    """True when a row of ``model`` a user may read always refers, through its foreign
    key ``relation``, to a row the user may read (or to none), so that the core need
    not check it. ``history``: whether the rows in question may be history versions
    (the default: any row of ``model``), or are current rows only (``validity_to``
    NULL, :mod:`backend.versioning`).

    It holds when the foreign key is the first step of ``model``'s placement and what
    follows is the placement of the row it refers to (``Placement("payer__location")``
    through ``payer``, the payer being placed at ``"location"``): the row is readable
    through that very reference, whatever its version. It holds for the tree's own link
    to the parent (``Placement("parent", node=True)``) on current rows only: a current
    location's parent is one of its ancestors, and the rule's readable locations hold
    the parent of each of them; a history version's parent may be a former parent that
    is no ancestor of the user's districts any more (a district moved to another
    region). False for a model without a placement."""
    placement = placement_of(model)
    if placement is None:
        return False
    target = model._meta.get_field(relation).related_model
    if placement.field == relation:
        if placement.node or _is_node(target):  # history rows: of a versioned model
            return not (placement.node and history and hasattr(model, "validity_to"))
        return False
    head, _, rest = placement.field.partition("__")
    if head != relation or not rest:
        return False
    below = placement_of(target)
    return below is not None and not below.node and below.field == rest


def reference_readable(relation: ForeignKey, user: Any) -> Expression | None:
    """A boolean SQL expression over a row of ``relation.model``, to annotate the rows
    with: whether ``user`` may read the row its foreign key ``relation`` refers to (a
    correlated ``EXISTS``, not evaluated on the rows whose placement implies it:
    :func:`implies_readable` of current rows). None when no row needs the check (implied
    for every version, or ``user`` is not restricted). Costs no query."""
    model, target = relation.model, relation.related_model
    if implies_readable(model, relation.name) or scope(target, user) is None:
        return None
    referred = target._default_manager.filter(
        **{relation.target_field.attname: OuterRef(relation.attname)}
    )
    check = Exists(readable(referred, user))
    if not implies_readable(model, relation.name, history=False):
        return check
    return Case(When(CURRENT, then=Value(True)), default=check, output_field=BooleanField())


def readable_referred(rows: QuerySet, relation: ForeignKey, user: Any) -> QuerySet:
    """``rows``, the row the foreign key ``relation`` of an outer row refers to (a
    subquery correlated to it by ``OuterRef``), limited to those ``user`` may read,
    unless the outer row's placement implies it (:func:`implies_readable`: checked on
    history rows only when it holds for current ones). Costs no query."""
    rule = scope(rows.model, user)
    model = relation.model
    if rule is None or implies_readable(model, relation.name):
        return rows
    if implies_readable(model, relation.name, history=False):
        rule |= Q(IsNull(OuterRef("validity_to"), True))
    return rows.filter(rule)


def checked_on_history(model: type[Model]) -> list[ForeignKey]:
    """The foreign keys of ``model`` to a placed model whose referred row its placement
    implies readable on current rows only (:func:`implies_readable`: a location's
    ``parent``), to check on the history versions."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.many_to_one
        and placement_of(field.related_model) is not None
        and implies_readable(model, field.name, history=False)
        and not implies_readable(model, field.name)
    ]


def with_reference_flags(rows: QuerySet, relations: Iterable[ForeignKey], user: Any) -> QuerySet:
    """``rows`` annotated, for each foreign key of ``relations`` (of ``rows.model``),
    with ``_readable_<name>``: whether ``user`` may read the row it refers to
    (:func:`reference_readable`; no annotation where no row needs the check). Costs no
    query: a correlated ``EXISTS`` in the query reading ``rows``."""
    for relation in relations:
        expression = reference_readable(relation, user)
        if expression is not None:
            rows = rows.annotate(**{reference_flag(relation): expression})
    return rows


def reference_flag(relation: ForeignKey) -> str:
    """The annotation of :func:`with_reference_flags` for ``relation``:
    ``_readable_<name>``."""
    return f"_readable_{relation.name}"


def without_unreadable(row: Model, relations: Iterable[ForeignKey]) -> Model:
    """``row``, or a copy of it with each foreign key of ``relations`` that
    :func:`with_reference_flags` found unreadable set to None (so that what shows the
    row leaves the reference out)."""
    for relation in relations:
        if getattr(row, reference_flag(relation), True) is False:
            row = copy.copy(row)
            setattr(row, relation.name, None)
    return row


def may_read_reference(user: Any, row: Model, relation: ForeignKey) -> bool:
    """True when ``user`` may read the row that ``row`` refers to through its foreign key
    ``relation`` (or it refers to none): implied by ``row``'s placement
    (:func:`implies_readable` for its version) or by a user without restriction, else
    checked by one query."""
    history = getattr(row, "validity_to", None) is not None
    key = getattr(row, relation.attname)
    if key is None or implies_readable(type(row), relation.name, history=history):
        return True
    target = relation.related_model
    if scope(target, user) is None:
        return True
    referred = target._default_manager.filter(**{relation.target_field.attname: key})
    return readable(referred, user).exists()


def _is_node(model: type[Model]) -> bool:
    placement = placement_of(model)
    return placement is not None and placement.node
