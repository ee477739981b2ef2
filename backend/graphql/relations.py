"""Fields over a filtered reverse relation, prefetched by the query optimizer.

``children`` (current children by code), ``Location.payers`` (current payers by name),
``history`` (earlier versions, newest first) all follow one pattern: a reverse relation,
a queryset restricting and ordering it, one extra SQL query per page whatever its size.
Each comes as a plain list (:func:`prefetched_list`) and as a Relay connection with
``first``/``after``, keyset cursors and ``totalCount`` (:func:`prefetched_connection`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Required, TypedDict, Unpack

import strawberry
import strawberry_django
from django.db.models import (
    BooleanField,
    Exists,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    QuerySet,
    Value,
)
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.permission import BasePermission
from strawberry.relay.utils import should_resolve_list_connection_edges
from strawberry.types.base import StrawberryOptional
from strawberry.types.nodes import get_variable_values
from strawberry_django.optimizer import optimize

from backend.errors import UserInputError
from backend.graphql.annotations import named
from backend.graphql.compiler.sources import RelatedConnection, RelatedRows, attach
from backend.graphql.connection import Keyed, check_page_size, info_asks_for
from backend.graphql.instants import READ_TODAY
from backend.graphql.permissions import current_user
from backend.graphql.queries import count_of, readable_rows
from backend.graphql.row_estimate import max_fan_out, reverse_link
from backend.references import checked_on_history, with_reference_flags


class RelationFieldOptions(TypedDict, total=False):
    """The keyword arguments of :func:`prefetched_list` and :func:`prefetched_connection`.

    ``description`` (required): the field's description. ``permission_classes``: checked
    before the field resolves (default: none). Only the rows the user may read are listed
    (district rights, :func:`backend.rights.readable`), the versions of a row (its
    history) as well: each version is placed by its own values.
    """

    description: Required[str]
    permission_classes: Sequence[type[BasePermission]]
    #: True for a list of the row's own versions (``history``), which reads alike at any
    #: instant; otherwise the field lists today's rows and a read of earlier versions
    #: (``validity: {at}`` or ``{includeHistory: true}``) refuses it
    #: (:mod:`backend.graphql.instants`).
    versions: bool


def _readable(
    queryset: Callable[[], QuerySet], options: RelationFieldOptions
) -> Callable[[strawberry.Info], QuerySet]:
    """The rows a request may read of ``queryset()``; for a list of versions, annotated
    with whether the user may read what they refer to where only history rows need the
    check (:func:`backend.references.checked_on_history`: a version's former parent), which
    :class:`~backend.graphql.readable_refs.ReadableRef` reads."""

    def rows(info: strawberry.Info) -> QuerySet:
        found = readable_rows(queryset(), info)
        if not options.get("versions"):
            return found
        return with_reference_flags(found, checked_on_history(found.model), current_user(info))

    return rows


def _field(
    relation: str,
    queryset: Callable[[], QuerySet],
    options: RelationFieldOptions,
    resolve: Callable[..., Any],
    prefetch: Callable[[strawberry.Info], Prefetch],
    **more: Any,
) -> Any:
    """The strawberry-django field of a reverse relation: ``resolve`` answers it,
    ``prefetch`` is handed to the optimizer, ``more`` (e.g. ``annotate``) as given.
    An option :class:`RelationFieldOptions` does not name, or a missing ``description``,
    is a ``TypeError``."""
    if unknown := options.keys() - RelationFieldOptions.__annotations__.keys():
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    if "description" not in options:
        raise TypeError("missing required keyword argument: 'description'")
    return strawberry_django.field(
        resolver=resolve,
        description=options["description"],
        prefetch_related=[prefetch],
        permission_classes=list(options.get("permission_classes", ())),
        metadata={**max_fan_out(relation, queryset), READ_TODAY: not options.get("versions")},
        **more,
    )


def prefetched_list(
    relation: str, queryset: Callable[[], QuerySet], **options: Unpack[RelationFieldOptions]
) -> Any:
    """A strawberry-django field listing ``root.<relation>`` filtered by ``queryset()``.

    ``relation``: the reverse relation's name on the parent model (``"children"``).
    ``queryset``: a callable returning the related model's queryset, filtered and ordered
    (called per request). ``options``: ``description``, ``permission_classes``
    (:class:`RelationFieldOptions`). The field's type is the class
    annotation it is assigned to (``children: list[LocationNode] = prefetched_list(...)``).
    The optimizer prefetches the rows of every parent on the page in one query, optimized
    for the nested selection; an instance that did not come through the optimizer (e.g.
    a mutation's payload) is served by a query of its own. The node estimate counts
    it as the largest number of related rows the user may read any parent has, when it
    needs real counts (:func:`backend.graphql.row_estimate.max_fan_out`).
    """
    attribute = f"_prefetched_{relation}"
    rows = _readable(queryset, options)

    def prefetch(info: strawberry.Info) -> Prefetch:
        return Prefetch(relation, queryset=optimize(rows(info), info), to_attr=attribute)

    def resolve(root: strawberry.Parent[Model], info: strawberry.Info) -> list[Model]:
        found = getattr(root, attribute, None)
        if found is None:
            link = type(root)._meta.get_field(relation).field.name
            found = list(rows(info).filter(**{link: root}))
        return found

    field = _field(relation, queryset, options, resolve, prefetch)
    return attach(field, RelatedRows(relation, rows))


def _page_arguments(info: strawberry.Info) -> tuple[int, str | None]:
    """``first`` (checked, default page size) and ``after`` of the field ``info`` is of."""
    raw = info._raw_info  # the coerced values, as the resolver gets them
    node = raw.field_nodes[0]
    definition = raw.parent_type.fields[node.name.value]
    variables = VariableValues(sources={}, coerced=get_variable_values(raw))
    arguments = get_argument_values(definition, node, variables)
    first = check_page_size(arguments.get("first"), None)
    return first, arguments.get("after")


def prefetched_connection(
    relation: str, queryset: Callable[[], QuerySet], **options: Unpack[RelationFieldOptions]
) -> Any:
    """A Relay connection field (``first``, ``after``; keyset cursors, ``totalCount``,
    ``pageInfo``) over ``root.<relation>`` filtered and ordered by ``queryset()``.

    ``relation``, ``queryset`` and ``options`` as for :func:`prefetched_list`; the field's
    type is the class annotation (``children_connection: CountedConnection[LocationNode]``).
    The cursors hold the keys of ``queryset()``'s order (:mod:`backend.graphql.cursors`).
    ``first`` defaults to ``GRAPHQL_DEFAULT_PAGE_SIZE``; above ``GRAPHQL_MAX_PAGE_SIZE``,
    negative, or a cursor of another order: ``UserInputError`` (BAD_USER_INPUT).

    Through the optimizer, a page of parents costs one SQL query for all their pages,
    whatever ``first``: ``ROW_NUMBER() OVER (PARTITION BY <link> ORDER BY <keys>)``
    keeps ``first`` + 1 rows per parent (Django's sliced prefetch); each parent's
    ``totalCount`` and, after a cursor, whether rows precede it (``hasPreviousPage``)
    are subqueries of the parents' own query. A parent that did not come through the
    optimizer (a mutation's payload) is paged by queries of its own. The node estimate
    counts a page as ``first``, or as the most rows the user may read any parent has when
    it needs real counts (:func:`backend.graphql.row_estimate.max_fan_out`).
    """
    attribute, total, earlier = (f"_page_{relation}{end}" for end in ("", "_total", "_earlier"))

    # the field's order (its keys, how cursors are read), the same for every parent
    order = functools.cache(lambda: Keyed.of(queryset()))
    rows = _readable(queryset, options)

    def rows_of(info: strawberry.Info, parent: Any) -> QuerySet:
        found = rows(info)
        return found.filter(**{reverse_link(found.model, relation): parent})

    def page(keyed: Keyed, first: int, after: str | None) -> QuerySet:
        rows = keyed.queryset
        if after is not None:
            rows = rows.filter(keyed.beyond(keyed.decode(after, "after")))
        return keyed.ordered(rows)[: first + 1]

    def prefetch(info: strawberry.Info) -> Prefetch:
        nothing = Prefetch(relation, queryset=queryset().none(), to_attr=attribute)
        try:
            first, after = _page_arguments(info)
            if not should_resolve_list_connection_edges(info):  # totalCount only: no rows
                return nothing
            keyed = Keyed.of(optimize(rows(info), info))
            return Prefetch(relation, queryset=page(keyed, first, after), to_attr=attribute)
        except UserInputError:  # the field's resolver reports it, at the field's own path
            return nothing

    def count(info: strawberry.Info) -> Any:
        if not info_asks_for(info, "totalCount"):
            return Value(None, output_field=IntegerField())
        return count_of(rows(info), reverse_link(queryset().model, relation))

    def any_earlier(info: strawberry.Info) -> Any:
        unknown = Value(None, output_field=BooleanField())
        try:
            _, after = _page_arguments(info)
            if after is None or not info_asks_for(info, "pageInfo", "hasPreviousPage"):
                return unknown
            keyed = Keyed.of(rows_of(info, OuterRef("pk")))
            values = keyed.decode(after, "after")
        except UserInputError:  # the field's resolver reports it
            return unknown
        return Exists(keyed.queryset.filter(keyed.beyond(values, backward=True, inclusive=True)))

    def resolve(
        root: strawberry.Parent[Model],
        info: strawberry.Info,
        first: Annotated[
            int | None,
            strawberry.argument(
                description="Returns the first n rows (default: the page size; above the "
                "configured maximum is an error)."
            ),
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Returns the rows after this cursor.")
        ] = None,
    ) -> Any:
        connection = info.return_type
        if isinstance(connection, StrawberryOptional):
            connection = connection.of_type
        # the arguments are checked whatever is selected (totalCount alone reads no row)
        if after is not None:
            order().decode(after, "after")
        check_page_size(first, None)
        rows = getattr(root, attribute, None)
        if rows is None:  # not prefetched: this parent's rows, paged like a root field
            nodes = rows_of(info, root)
            return connection.resolve_connection(nodes, info=info, first=first, after=after)
        first = check_page_size(first, None)
        keyed, earlier_rows = order(), getattr(root, earlier, None)
        asks = info_asks_for(info, "pageInfo", "hasPreviousPage")
        if earlier_rows is None and after is not None and asks:
            values = keyed.decode(after, "after")
            earlier_rows = (
                Keyed.of(rows_of(info, root))
                .queryset.filter(keyed.beyond(values, backward=True, inclusive=True))
                .exists()
            )
        counted = getattr(root, total, None)
        return connection.of_rows(
            rows[:first],
            keyed=keyed,
            info=info,
            has_previous=bool(earlier_rows),
            has_next=len(rows) > first,
            nodes=rows_of(info, root) if counted is None else None,
            total=counted,
        )

    field = _field(
        relation,
        queryset,
        options,
        resolve,
        prefetch,
        annotate={total: named(total, count), earlier: named(earlier, any_earlier)},
    )
    return attach(field, RelatedConnection(relation, rows))


def history_of(model: type[Model]) -> Callable[[], QuerySet]:
    """Queryset factory of history rows, newest first (for ``history`` fields; like any
    relation, the user reads the versions placed where they may read, district rights)."""
    return lambda: model._default_manager.history().order_by("-validity_to", "-pk")
