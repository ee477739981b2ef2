"""A list field over a filtered reverse relation, prefetched by the query optimizer.

``children`` (current children by code), ``Location.payers`` (current payers by name),
``history`` (earlier versions, newest first) all follow one pattern: a reverse relation,
a queryset restricting and ordering it, one extra SQL query per page whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import strawberry
import strawberry_django
from django.db.models import Model, Prefetch, QuerySet
from strawberry.permission import BasePermission
from strawberry_django.optimizer import optimize

from backend.graphql.compiler.sources import RelatedRows, attach
from backend.graphql.permissions import current_user
from backend.graphql.row_estimate import max_fan_out
from backend.rights import readable


def prefetched_list(
    relation: str,
    queryset: Callable[[], QuerySet],
    *,
    description: str,
    permission_classes: Sequence[type[BasePermission]] = (),
    restricted: bool = True,
) -> Any:
    """A strawberry-django field listing ``root.<relation>`` filtered by ``queryset()``.

    ``relation``: the reverse relation's name on the parent model (``"children"``).
    ``queryset``: a callable returning the related model's queryset, filtered and ordered
    (called per request); only the rows the user may read are listed (district rights,
    :func:`backend.rights.readable`) unless ``restricted`` is False (the versions of a row
    the user reads: its history). The field's type is the class annotation it is assigned to
    (``children: list[LocationNode] = prefetched_list(...)``).
    The optimizer prefetches the rows of every parent on the page in one query, optimized
    for the nested selection; an instance that did not come through the optimizer (e.g.
    a mutation's payload) is served by a query of its own. The node estimate counts
    it as the largest number of related rows any parent has, when it needs real counts
    (:func:`backend.graphql.row_estimate.max_fan_out`).
    """
    attribute = f"_prefetched_{relation}"

    def rows(info: strawberry.Info) -> QuerySet:
        return readable(queryset(), current_user(info)) if restricted else queryset()

    def prefetch(info: strawberry.Info) -> Prefetch:
        return Prefetch(relation, queryset=optimize(rows(info), info), to_attr=attribute)

    def resolve(root: strawberry.Parent[Model], info: strawberry.Info) -> list[Model]:
        found = getattr(root, attribute, None)
        if found is None:
            link = type(root)._meta.get_field(relation).field.name
            found = list(rows(info).filter(**{link: root}))
        return found

    field = strawberry_django.field(
        resolver=resolve,
        description=description,
        prefetch_related=[prefetch],
        permission_classes=list(permission_classes),
        metadata=max_fan_out(relation, queryset),
    )
    return attach(field, RelatedRows(relation, rows))


def history_of(model: type[Model]) -> Callable[[], QuerySet]:
    """Queryset factory of history rows, newest first (for ``history`` fields, with
    ``restricted=False``: the versions of a row one may read are readable)."""
    return lambda: model._default_manager.history().order_by("-validity_to", "-pk")
