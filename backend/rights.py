"""District rights: the rows of the location tree a user reads and changes.

openIMIS attaches a user to districts (``tblUsersDistricts``); a user without the global
right reads and changes only the locations in or below their districts and what other
modules place there. Each module declares in its manifest how its rows sit in the tree
(``Manifest.placement``: the location row itself, a foreign key to a location, or
nothing: not restricted); the module owning the tree publishes the rule itself as the
lookup ``location.in_scope_of`` (its docstring holds the rule and its openIMIS source).

Every read queryset of a placed model goes through :func:`readable` (the GraphQL root,
by-uuid, nested and ``node`` fields, subgraph ``_entities``, FHIR, JSON:API, the admin);
every write checks :func:`require_writable` (the rows it changes) and
:func:`require_placeable` (where it puts a row), in the module's services, the one write
path of every surface. A refusal is :class:`OutsideDistricts`, a ``PermissionDenied``
(GraphQL ``FORBIDDEN``, HTTP 403).

A row read refers only to rows the user may read: :mod:`backend.references` checks
its to-one references with these rules.

Every input naming a row by uuid (a filter, a mutation's or a FHIR resource's reference,
the row a write changes) resolves it as the user sees it (:func:`visible`,
:func:`require_known`, :func:`resolve`): a row the user may not read is answered exactly
as a uuid no row has, and naming rows of a type the user may not view at all is refused
with the type's view permission, whatever the uuid, so that no answer tells an existing
row from an unknown one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Model,
    Q,
    QuerySet,
)

from backend import registry
from backend.errors import FieldError, UserInputError, ValidationFailed
from backend.ids import key_of
from backend.permissions import require_permission

#: The lookup (``Manifest.lookups``) holding the rule: ``(user, relation, *, write) ->
#: Q | None`` (None: the user is not restricted).
SCOPE_LOOKUP = "location.in_scope_of"


class OutsideDistricts(PermissionDenied):
    """A write touching a row, or placing one, outside the user's districts.

    Its GraphQL error is ``FORBIDDEN`` with ``extensions.reason`` ``OUTSIDE_DISTRICTS``
    (:attr:`extensions`): a client tells it from a missing permission without reading
    the message."""

    extensions = {"reason": "OUTSIDE_DISTRICTS"}


def placement_of(model: type[Model]) -> registry.Placement | None:
    """The :class:`~backend.registry.Placement` an active module declares for ``model``,
    or None (the model is not placed in the location tree)."""
    for module in registry.active_modules():
        found = registry.declared_for(module.manifest.placement, model._meta.label)
        if found is not None:
            return found
    return None


def scope(model: type[Model], user: Any, *, write: bool = False) -> Q | None:
    """The filter of the rows of ``model`` that ``user`` may read (``write=False``) or
    change (``write=True``); None when nothing restricts them (no placement, or a user
    with the global right). Costs no query: the filter holds one subquery."""
    placement = placement_of(model)
    if placement is None:
        return None
    relation = "" if placement.node else placement.field
    return registry.lookup(SCOPE_LOOKUP)(user, relation, write=write)


def readable(queryset: QuerySet, user: Any) -> QuerySet:
    """``queryset`` restricted to the rows ``user`` may read."""
    rule = scope(queryset.model, user)
    return queryset if rule is None else queryset.filter(rule)


def require_writable(user: Any, rows: QuerySet) -> None:
    """Raise :class:`OutsideDistricts` naming (up to 5 of) the rows of ``rows`` that
    ``user`` may not change, by uuid (their other values may be hidden from the user).
    One query for a restricted user, none otherwise."""
    rule = scope(rows.model, user, write=True)
    if rule is None:
        return
    outside = list(rows.exclude(rule).order_by("pk")[:5])
    if outside:
        meta = rows.model._meta
        names = ", ".join(f"{row.uuid}" for row in outside)
        raise OutsideDistricts(
            f"District rights: you may change only {meta.verbose_name_plural} in or below "
            f"your districts; {meta.verbose_name} {names} is outside them."
        )


def is_writable(user: Any, row: Model) -> bool:
    """True when ``user`` may change ``row`` (:func:`require_writable` as a question)."""
    rule = scope(type(row), user, write=True)
    return rule is None or type(row)._default_manager.filter(rule, pk=row.pk).exists()


def require_placeable(user: Any, model: type[Model], target: Model | None) -> None:
    """Raise :class:`OutsideDistricts` unless ``user`` may place a row of ``model`` at
    ``target`` (for a placed model: its new location; for the tree's own locations: the
    new parent), that is unless ``target`` is in scope (named by uuid). No ``target``
    (no location, or no parent: a region) is outside every district. No query for a
    user without restriction, one otherwise."""
    if scope(model, user, write=True) is None:
        return
    plural = model._meta.verbose_name_plural
    if target is None:
        raise OutsideDistricts(
            f"District rights: you may place {plural} only in or below your districts, "
            f"not at the top of the location tree or at no location."
        )
    meta = type(target)._meta
    if not is_writable(user, target):
        raise OutsideDistricts(
            f"District rights: you may place {plural} only in or below your districts; "
            f"{meta.verbose_name} {target.uuid} is outside them."
        )


def view_permission(model: type[Model]) -> str:
    """The Django permission to read rows of ``model``: the one the active modules' surfaces
    name for it (:func:`backend.registry.model_view_permissions`; start-up requires them to
    agree), else Django's ``<app_label>.view_<model>``."""
    named = registry.model_view_permissions().get(model._meta.label_lower)
    if named:
        return next(iter(named.values()))
    return f"{model._meta.app_label}.view_{model._meta.model_name}"


def visible(model: type[Model], user: Any, *, action: str | None = None) -> QuerySet:
    """Every row of ``model`` (any version) that ``user`` sees: :func:`readable` of all
    of them, once ``user`` holds the model's :func:`view_permission`.

    Raises ``PermissionDenied`` naming that permission (and ``action``, what it is
    needed for, e.g. ``"filter payers by location"``) when the user lacks it, before
    any row is read: without it every uuid is refused alike. Costs no query.
    """
    require_permission(user, view_permission(model), action)
    return readable(model._default_manager.all(), user)


def require_known(
    model: type[Model],
    named: Mapping[str, Iterable[uuid.UUID | str | None]],
    user: Any,
    *,
    action: str | None = None,
) -> None:
    """Raise ``UserInputError`` naming every uuid of ``named`` (input field, e.g.
    ``"filter.parent"`` -> the uuids it gives; None ignored) that no row of ``model``
    visible to ``user`` (:func:`visible`) has, current or history: a row the user may
    not read gets the message of an unknown uuid,
    ``"filter.parent: no location has uuid <uuid>."`` (several joined by ``"; "``). A
    uuid may be given as the text an API read (a JSON:API filter): one that is not a
    row's id in canonical form (:func:`backend.ids.parse_id`: ``A0…`` upper case, no
    hyphens) is unknown, named as given.

    Raises ``PermissionDenied`` (:func:`visible`) when some uuid is given and the user
    may not view ``model``. One query for all of them; none when no uuid is given.
    """
    given = {key for keys in named.values() for key in keys if key is not None}
    if not given:
        return
    rows = visible(model, user, action=action)
    wanted = {key_of(key) for key in given} - {None}
    known = set(rows.filter(uuid__in=wanted).values_list("uuid", flat=True)) if wanted else set()
    what = model._meta.verbose_name
    problems = [
        f"{field}: no {what} has uuid {key}"
        for field, keys in named.items()
        for key in keys
        if key is not None and key_of(key) not in known
    ]
    if problems:
        raise UserInputError("; ".join(problems) + ".")


def resolve(
    model: type[Model],
    key: uuid.UUID | str | None,
    user: Any,
    *,
    field: str,
    action: str | None = None,
    lock: bool = True,
) -> Any:
    """The row of ``model`` with uuid ``key`` (current or history) as ``user`` sees it
    (:func:`visible`), locked for the transaction (FOR UPDATE) unless ``lock`` is False;
    None for ``key`` None.

    Raises ``ValidationFailed`` with one ``NOT_FOUND`` error on ``field`` (``"No
    location has uuid <key>."``) when no visible row has the uuid: an unknown uuid and
    a row outside the user's districts get the same answer, and so does a text ``key``
    that is no row's id in canonical form (:func:`backend.ids.parse_id`: a FHIR
    reference's uuid spelled otherwise). Raises ``PermissionDenied``
    when the user may not view ``model`` at all (``action``: what for, in the message).
    One query.
    """
    if key is None:
        return None
    rows = visible(model, user, action=action)
    if lock:
        rows = rows.select_for_update()
    wanted = key_of(key)
    row = None if wanted is None else rows.filter(uuid=wanted).first()
    if row is None:
        raise ValidationFailed(
            [FieldError(field, "NOT_FOUND", f"No {model._meta.verbose_name} has uuid {key}.")]
        )
    return row
