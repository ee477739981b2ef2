"""The two root fields every module's versioned model gets: a connection with filter,
order and validity, and the object by uuid; :func:`versioned_query` makes both as a
module's root query type.

No ``from __future__ import annotations`` here: the resolvers' annotations are the
objects the factories receive, which strawberry reads as they are.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Annotated, Any
from uuid import UUID

import strawberry
import strawberry_django
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    Expression,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from strawberry_django.optimizer import optimize
from strawberry_django.utils.typing import get_django_definition

from backend import rights
from backend.graphql.annotations import named
from backend.graphql.compiler.sources import (
    ConnectionRows,
    ObjectRows,
    RelatedCount,
    RowValue,
    attach,
)
from backend.graphql.connection import CountedConnection, PagedConnection
from backend.graphql.inputs import (
    Sort,
    ValidityFilter,
    apply_filter,
    apply_validity,
    order_by_fields,
    order_fields_enum,
    order_input,
)
from backend.graphql.instants import READ_TODAY, refuse_relations_of_today
from backend.graphql.permissions import HasPerm, authorize, current_user
from backend.graphql.row_estimate import counted_rows
from backend.ordering import sort_rules
from backend.rights import readable


def view_permission_of(node: type) -> str:
    """The ``view_permission`` of ``node`` (a ``GuardedNode`` type). Raises
    ImproperlyConfigured ``type <Name> declares no view_permission`` when it has none
    (the manifest check's wording; loading the manifest names the module)."""
    permission = getattr(node, "view_permission", None)
    if not permission:
        raise ImproperlyConfigured(f"type {node.__name__} declares no view_permission")
    return permission


def versioned_connection(
    node: type,
    *,
    plural: str,
    filter_input: type,
    order_fields: Mapping[str, str | Sort],
    default_order: tuple[str, ...],
) -> Any:
    """A root connection field over the rows of ``node``'s model as ``node`` (a
    strawberry-django ``GuardedNode`` type, whose ``view_permission`` guards the field).

    Arguments of the field: ``filter`` (``filter_input``: its declared fields applied by
    :func:`~backend.graphql.inputs.apply_filter`, then its method
    ``narrow(queryset, user)`` when it has one: the module's own conditions, which
    resolve any uuid they take as ``user`` sees it, :func:`backend.rights.require_known`),
    ``orderBy`` (a list of ``<Node>Order`` inputs over the enum ``<Node>OrderField`` of
    ``order_fields``, then the fields of ``default_order`` not named; ``order_fields``
    maps an order field, a model field or a name of the module's choosing, to its
    description, or to its :class:`~backend.graphql.inputs.Sort`: the description, what
    its cursor holds and sorts by, and the type whose view permission ordering by it
    needs; a field whose ``Sort`` has no ``by`` sorts by the model's rule,
    :func:`backend.ordering.sort_rules`, as on FHIR and JSON:API) and ``validity``
    (current rows by default; a read of earlier versions refuses the relations that
    read today's rows, :mod:`backend.graphql.instants`). Only the rows the user may read
    (:func:`backend.rights.readable`: district rights). ``plural`` words the
    descriptions ("locations"). The node estimate counts its rows with the request's
    arguments when it needs real counts (:mod:`backend.graphql.row_estimate`).
    """
    model = get_django_definition(node, strict=True).model
    name = node.__strawberry_definition__.name
    rules = sort_rules(model)
    sorts = {f: Sort(how) if isinstance(how, str) else how for f, how in order_fields.items()}
    sorts = {
        f: replace(sort, by=rules[f]) if sort.by is None and f in rules else sort
        for f, sort in sorts.items()
    }
    fields_enum = order_fields_enum(f"{name}OrderField", sorts, plural)
    criterion = order_input(f"{name}Order", fields_enum, plural)
    default_order_name = default_order[0].removeprefix("-")

    def resolve(
        self,
        info: strawberry.Info,
        filter: Annotated[
            filter_input | None,
            strawberry.argument(description=f"Only matching {plural}."),
        ] = None,
        order_by: Annotated[
            list[criterion] | None,
            strawberry.argument(
                description=f"Sort criteria, in order; default: by {default_order_name}."
            ),
        ] = None,
        validity: Annotated[
            ValidityFilter | None,
            strawberry.argument(description="Versions to return; default: current rows."),
        ] = None,
    ) -> Iterable[node]:
        return rows(info, filter, order_by, validity)

    def rows(info: Any, filter: Any = None, order_by: Any = None, validity: Any = None):
        user = current_user(info)
        readable_rows = readable(model._default_manager.all(), user)
        versions = apply_validity(readable_rows, validity)
        if versions.valid_instant is not None:
            refuse_relations_of_today(info, "validity.at")
        elif validity is not None and validity.include_history:
            refuse_relations_of_today(info, "validity.includeHistory")
        queryset = apply_filter(versions, filter)
        if hasattr(filter, "narrow"):
            queryset = filter.narrow(queryset, user)
        order = order_by_fields(order_by, default_order, sorts, user=user)
        return queryset.order_by(*order)

    field = strawberry_django.connection(
        CountedConnection[node],
        description=(
            f"{plural.capitalize()}, as a Relay connection (default page 100; `first`/`last` "
            "above the configured maximum is an error). Current rows unless `validity` asks "
            "otherwise."
        ),
        permission_classes=[HasPerm(view_permission_of(node))],
        metadata=counted_rows(lambda info, **arguments: resolve(None, info, **arguments)),
    )(resolve)
    field.extensions = PagedConnection.replacing(field.extensions)
    return attach(field, ConnectionRows(rows))


def versioned_by_uuid(node: type, *, singular: str) -> Any:
    """A root field returning the row of ``node``'s model with a uuid (a current or
    history version) as ``node``, or null (also for a row outside the user's districts,
    :mod:`backend.rights`); guarded by the node's ``view_permission``."""
    model = get_django_definition(node, strict=True).model

    def resolve(
        self,
        info: strawberry.Info,
        uuid: Annotated[UUID, strawberry.argument(description=f"The {singular}'s uuid.")],
    ) -> node | None:
        return optimize(rows(info, uuid), info).first()

    def rows(info: Any, uuid: UUID) -> QuerySet:
        return readable(model._default_manager.filter(uuid=uuid), current_user(info))

    field = strawberry_django.field(
        description=(f"The {singular} with this uuid (current or history version); null if none."),
        permission_classes=[HasPerm(view_permission_of(node))],
    )(resolve)
    return attach(field, ObjectRows(rows))


def versioned_query(
    node: type, *, plural: str | None = None, singular: str | None = None, **connection: Any
) -> type:
    """A module's root query type for ``node``'s versioned model: the connection
    ``<plural>`` (:func:`versioned_connection`, which ``connection`` configures:
    ``filter_input``, ``order_fields``, ``default_order``) and
    ``<singular>(uuid:)`` (:func:`versioned_by_uuid`), in that order. ``plural`` and
    ``singular`` name the fields and word their descriptions (default: the model's
    verbose names, ``locations`` and ``location``); the type is named ``<Node>Query``.
    Raises ImproperlyConfigured when ``node`` has no ``view_permission``
    (:func:`view_permission_of`), before anything else is read."""
    view_permission_of(node)
    meta = get_django_definition(node, strict=True).model._meta
    plural = plural or str(meta.verbose_name_plural)
    singular = singular or str(meta.verbose_name)
    fields = {
        plural.replace(" ", "_"): versioned_connection(node, plural=plural, **connection),
        singular.replace(" ", "_"): versioned_by_uuid(node, singular=singular),
    }
    return strawberry.type(type(f"{node.__strawberry_definition__.name}Query", (), fields))


def count_of(rows: QuerySet, link: str) -> Coalesce:
    """How many of ``rows`` point at the outer query's row through their field ``link``:
    a correlated ``SELECT COUNT(*)`` (0 when none), to annotate the parents with."""
    counted = (
        rows.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(_n=Count("pk"))
        .values("_n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def readable_rows(rows: QuerySet, info: strawberry.Info) -> QuerySet:
    """``rows`` limited to those the request's user may read (district rights,
    :func:`backend.rights.readable`)."""
    return readable(rows, current_user(info))


def related_count(
    name: str,
    queryset: Callable[[], QuerySet],
    link: str,
    *,
    description: str,
    permission_classes: Iterable[type] = (),
    versions: bool = False,
) -> Any:
    """An ``Int!`` field: how many rows of ``queryset()`` (filtered, e.g. current rows)
    point at the parent through their field ``link`` (``"parent"``, ``"location"``,
    ``"legacy"``), among those the user may read (district rights, the versions of a row
    as well).

    Counted in the parent's own SQL query (a correlated ``SELECT COUNT(*)`` the optimizer
    annotates as ``name``), so a page costs no extra query whatever its size; an
    instance that did not come through the optimizer (a mutation's payload) is counted
    by a query of its own. ``versions``: True when it counts the row's own versions
    (``historyCount``); otherwise it counts today's rows, and a read of earlier
    versions (``validity: {at}`` or ``{includeHistory: true}``) refuses it
    (:mod:`backend.graphql.instants`).
    """

    def rows(info: strawberry.Info) -> QuerySet:
        return readable_rows(queryset(), info)

    def expression(info: strawberry.Info) -> Coalesce:
        return count_of(rows(info), link)

    def resolve(root: strawberry.Parent[Model], info: strawberry.Info) -> int:
        value = getattr(root, name, None)
        if value is None:
            value = rows(info).filter(**{link: root}).count()
        return value

    field = strawberry_django.field(
        resolver=resolve,
        description=description,
        annotate={name: named(name, expression)},
        permission_classes=list(permission_classes),
        metadata={READ_TODAY: not versions},
    )
    return attach(field, RelatedCount(expression))


#: A module's rule of one change by permissions: ``rule(may)`` (``may(permission)``: the
#: request may use it) gives the rows the change is allowed on, as a filter of the model,
#: True for every row or False for none; district rights are the core's to add.
ChangeRule = Callable[[Callable[[str], bool]], Q | bool]


def viewer_can(name: str, model: type[Model], rule: ChangeRule, *, description: str) -> Any:
    """A ``Boolean!`` field: whether the request's user may make a change to the row of
    ``model`` now, as the write itself would decide: the row is current, ``rule`` allows
    it (the change's permissions, a bearer token's ``write`` scope, the module's own
    conditions such as a level's right) and district rights let the user change the row
    (:func:`backend.rights.scope`, ``write``): the region above their districts is read
    but not changed. So a client offers a change only where it would be made.

    Computed in the parent's own SQL query (an ``EXISTS`` over the row the optimizer
    annotates as ``name``, the compiler reading the same expression), so a page costs no
    query more; an instance that did not come through the optimizer (a mutation's
    payload) asks one query of its own. It answers for today, whatever instant the row
    was read at: a history version is never changed (false).
    """

    def expression(info: strawberry.Info) -> Expression:
        def may(permission: str) -> bool:
            try:
                return authorize(info, permission)
            except PermissionDenied:  # a bearer token without the write scope
                return False

        allowed = rule(may)
        if allowed is False:
            return Value(False, output_field=BooleanField())
        rows = model._default_manager.current()
        if allowed is not True:
            rows = rows.filter(allowed)
        scope = rights.scope(model, current_user(info), write=True)
        if scope is not None:
            rows = rows.filter(scope)
        return Exists(rows.filter(pk=OuterRef("pk")))

    def resolve(root: strawberry.Parent[Model], info: strawberry.Info) -> bool:
        value = getattr(root, name, None)
        if value is None:
            rows = model._default_manager.filter(pk=root.pk)
            value = rows.annotate(_can=expression(info)).values_list("_can", flat=True).get()
        return value

    field = strawberry_django.field(
        resolver=resolve, description=description, annotate={name: named(name, expression)}
    )
    return attach(field, RowValue(expression))
