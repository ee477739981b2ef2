"""A many-to-one relation's object built once per distinct key of the rows that read it.

A village's ``parent`` (and the parent's ``parent`` …) is one row found by a key of the
row. As a correlated subquery in the row's ``SELECT`` list, PostgreSQL builds it once per
row: on the bench's page of 100 villages of 8 communes of one district, the district's
JSON (with its 32 payers) was built 100 times. :class:`GroupedValue` joins it instead,
built once per distinct key of the rows the query reads::

    SELECT json_build_object(…, 'parent', "json_group"."_json")
    FROM location_location X0
    LEFT JOIN (SELECT W0.id AS "_key", json_build_object(…) AS "_json"
               FROM location_location W0
               WHERE W0.id = ANY(ARRAY(SELECT U0.parent_id FROM <X0's rows: the same
                                       filters> U0))
               OFFSET 0) "json_group" ON "json_group"."_key" = X0.parent_id
    WHERE …

The derived table holds one row per referenced key, so the join keeps the row count;
``OFFSET 0`` keeps PostgreSQL from pulling it up into the outer query (which would
build the JSON per outer row again); the keys are an array computed once (an init plan)
and then an index condition, so the plan does not hang on the planner's estimate of
how many keys there are. The joined rows' own many-to-one relations are grouped the
same way over *their* rows (the district once for the 8 communes). None of it depends
on the planner's choices (PostgreSQL's ``Memoize`` caches a lateral subquery only
when it expects repeated keys, which it cannot know of a page). The value is the
subquery's: the object, or NULL when the key is NULL or no row the user may read has
it (the relation's queryset carries the row restrictions, ``readable_referred``).

A page (:class:`PagedArray`, from :meth:`.cursors.Page.edges`) whose objects read a
grouped relation puts its keys in a common table first (``WITH _page AS MATERIALIZED
(<ordered, sliced keys>)``): its rows are read by those keys and ordered again, and
every keys query reads them from there, so the page's sort runs once and the joins and
JSON are built for the page's rows only (joined before a ``LIMIT``, they would be built
for every row the sort reads when no index gives the order).

Only rows whose query stands alone are grouped (a root page, a root object, the joined
rows below them): the keys query repeats the rows' query, so it must refer to no outer
query. A relation read from correlated rows (a nested list or connection of each
parent), or whose row restriction refers to the reading row (district rights checked
on history rows), stays a correlated subquery (:meth:`GroupedValue.correlated`).

When Django resolves a :class:`GroupedValue` against the rows' query (``.values(_json=…)``)
it adds a :class:`GroupedJoin` to that query's joins and becomes a :class:`JoinedJson`
reading its ``_json``; both follow Django's alias relabelling (a query becoming a
subquery of another), as Django's own joins do.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Expression,
    F,
    Func,
    JSONField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.sql import Query

from backend.graphql.compiler import sql

#: The ``table_name`` under which grouped joins are listed in a query's ``table_map``
#: (the first one's alias; the others get ``<prefix><n>`` aliases, as Django's joins).
TABLE_NAME = "json_group"
KEY, JSON = "_key", "_json"


class Fenced(Subquery):
    """A subquery that PostgreSQL computes on its own (``OFFSET 0``: not pulled up)."""

    template = "(%(subquery)s OFFSET 0)"
    output_field = JSONField()


class GroupedJoin:
    """``LEFT JOIN (<subquery>) <alias> ON <alias>._key = <parent_alias>.<column>``: an
    entry of a Django query's ``alias_map`` (the interface of Django's ``Join``:
    ``table_name``, ``table_alias``, ``join_type``, ``parent_alias``, ``as_sql``,
    ``relabeled_clone``). ``subquery``: a resolved :class:`Fenced` subquery of
    ``(_key, _json)`` rows, one per key, referring to no outer query."""

    join_type = "LEFT OUTER JOIN"
    nullable = True
    filtered_relation = None

    def __init__(self, subquery: Fenced, alias: str, parent_alias: str, column: str) -> None:
        self.subquery, self.table_alias = subquery, alias
        self.parent_alias, self.column = parent_alias, column
        self.table_name = TABLE_NAME

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        quote, name = compiler.quote_name_unless_alias, connection.ops.quote_name
        alias = quote(self.table_alias)
        try:
            text, params = compiler.compile(self.subquery)
        except EmptyResultSet:  # Django found no row before running it: NULL
            return f"LEFT JOIN (SELECT NULL::json AS {name(JSON)}) {alias} ON false", []
        on = f"{alias}.{name(KEY)} = {quote(self.parent_alias)}.{name(self.column)}"
        return f"LEFT JOIN {text} {alias} ON {on}", list(params)

    def relabeled_clone(self, change_map: dict[str, str]) -> GroupedJoin:
        return GroupedJoin(
            self.subquery.relabeled_clone(change_map),
            change_map.get(self.table_alias, self.table_alias),
            change_map.get(self.parent_alias, self.parent_alias),
            self.column,
        )


class JoinedJson(Expression):
    """The ``_json`` column of the grouped join ``alias``."""

    output_field = JSONField()

    def __init__(self, alias: str) -> None:
        super().__init__()
        self.alias = alias

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        alias = compiler.quote_name_unless_alias(self.alias)
        return f"{alias}.{connection.ops.quote_name(JSON)}", []

    def relabeled_clone(self, change_map: dict[str, str]) -> JoinedJson:
        return JoinedJson(change_map.get(self.alias, self.alias))

    def resolve_expression(self, *args, **kwargs) -> JoinedJson:
        return self  # already bound to its join

    def get_group_by_cols(self) -> list:
        return [self]


class GroupedValue(Expression):
    """The JSON of the row of ``related`` (a queryset of the relation's model, its row
    restrictions applied) whose ``target`` (the relation's target column, unique) equals
    the outer row's ``source`` column, built by ``json`` (an expression over a
    ``related`` row): joined and grouped by key when the outer rows stand alone,
    a correlated subquery otherwise (see the module docstring)."""

    output_field = JSONField()

    def __init__(self, related: QuerySet, target: str, source: str, json: Expression) -> None:
        super().__init__()
        self.related, self.target, self.source, self.json = related, target, source, json

    @property
    def worth_grouping(self) -> bool:
        """Whether the object's JSON reads more than its row's columns (a list, a count,
        a relation of its own): built once per key instead of once per reading row.
        One of columns alone costs an index lookup per row, less than grouping."""
        return _reads(self.json, lambda e: isinstance(e, Subquery | GroupedValue))

    def correlated(self) -> Expression:
        """The first row's JSON as a correlated subquery (no grouping)."""
        rows = self.related.filter(**{self.target: OuterRef(self.source)})
        return sql.first_value(rows.values(_json=self.json))

    def resolve_expression(
        self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False
    ) -> Expression:
        keys = _keys(query, self.source) if self.worth_grouping else None
        if keys is None or not _stands_alone(self.related.query):
            return self.correlated().resolve_expression(
                query, allow_joins, reuse, summarize, for_save
            )
        rows = self.related.filter(AnyOf(F(self.target), keys))
        rows = rows.values(**{KEY: F(self.target), JSON: self.json})
        subquery = Fenced(rows).resolve_expression(query, allow_joins, reuse, summarize, for_save)
        parent = query.get_initial_alias()
        alias, _created = query.table_alias(TABLE_NAME, create=True)
        column = query.model._meta.get_field(self.source).column
        query.alias_map[alias] = GroupedJoin(subquery, alias, parent, column)
        return JoinedJson(alias)


def _keys(query: Query, source: str) -> Query | None:
    """``SELECT <source> FROM <query's rows>``: the same filters, none of its selected
    values or grouped joins, no order and no slice (a slice taken later, or one whose
    order ties, could pick other rows: the keys of every matching row are a superset,
    and the join takes each row's own); None when ``query`` refers to an outer query
    (it cannot stand alone). A page is cut before (:class:`PagedArray`)."""
    keys = query.clone()
    for alias, join in keys.alias_map.items():
        if isinstance(join, GroupedJoin):
            keys.alias_refcount[alias] = 0
    keys.set_values([source])
    keys.clear_limits()
    keys.clear_ordering(force=True)
    return keys if _stands_alone(keys) else None


def _stands_alone(query: Query) -> bool:
    """Whether ``query`` compiles on its own: it refers to no outer query (Django
    refuses an ``OuterRef`` outside a subquery with ``ValueError``)."""
    try:
        query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:
        return True  # no row: nothing to join either
    except Exception:  # an outer reference, or anything Django refuses here
        return False
    return True


#: The name of the common table expression holding a page's keys (:class:`PagedArray`;
#: a nested page's shadows it in its own scope, where only its own rows refer to it).
PAGE = "_page"


def reads_grouped(expression: Expression) -> bool:
    """Whether ``expression`` (an object's JSON) reads a :class:`GroupedValue` worth
    grouping of its own row (not one inside a subquery)."""
    return _reads(expression, lambda e: isinstance(e, GroupedValue) and e.worth_grouping)


def _reads(expression: Expression, found: Callable[[Expression], bool]) -> bool:
    """Whether ``found`` holds for ``expression`` or one of its parts, not looking into
    subqueries (their rows are not the object's)."""
    if found(expression):
        return True
    if isinstance(expression, Subquery | Query):
        return False
    if not hasattr(expression, "get_source_expressions"):
        return False  # an F, a value: no parts
    return any(_reads(e, found) for e in expression.get_source_expressions())


class AnyOf(Func):
    """``<column> = ANY(ARRAY(<keys>))``: ``keys`` (a query of one column) runs once, as
    an init plan, and its values are an index condition of the rows' scan (an ``IN``
    join would leave its order to the planner's estimate of how many keys there are)."""

    output_field = BooleanField()

    def __init__(self, column: Expression, keys: Query | QuerySet) -> None:
        super().__init__(column, Subquery(keys))

    def as_sql(self, compiler, connection, **extra) -> tuple[str, list]:
        column, keys = self.source_expressions
        column_sql, column_params = compiler.compile(column)
        keys_sql, keys_params = compiler.compile(keys)  # "(SELECT …)"
        return f"{column_sql} = ANY(ARRAY{keys_sql})", [*column_params, *keys_params]


class InPage(Func):
    """Whether the row's key is one of the page's (:class:`PagedArray`)."""

    output_field = BooleanField()

    def __init__(self) -> None:
        super().__init__(F("pk"))

    def as_sql(self, compiler, connection, **extra) -> tuple[str, list]:
        key, params = compiler.compile(self.source_expressions[0])
        quote = connection.ops.quote_name
        return f"{key} = ANY(ARRAY(SELECT {quote('pk')} FROM {quote(PAGE)}))", params


class PagedArray(sql.JsonArray):
    """``array_to_json(ARRAY(WITH _page AS MATERIALIZED (<page>) <rows>))``: the JSON
    values of ``rows`` (a ``values(_json=…)`` queryset filtered by :class:`InPage` and
    ordered as the page), the page's keys (``page``: a ``values("pk")`` queryset, its
    order and slice) computed once. ``rows`` holds grouped joins whose keys queries
    repeat ``rows``' filter: they read the page's keys from the common table, not the
    page's sort again, and the JSON is built for the page's rows only (the join and
    the JSON come after the page is cut, not before a sort of every matching row)."""

    def __init__(self, rows: QuerySet, page: QuerySet) -> None:
        super().__init__(rows)
        self.page = page.query.clone()
        self.page.subquery = True

    def get_source_expressions(self) -> list:
        return [self.query, self.page]

    def set_source_expressions(self, expressions: list) -> None:
        self.query, self.page = expressions

    def as_sql(self, compiler, connection, *args, **kwargs) -> tuple[str, list]:
        try:
            page, page_params = self.page.as_sql(compiler, connection)
            rows, rows_params = self.query.as_sql(compiler, connection)
        except EmptyResultSet:
            return self.empty_sql, []
        name = connection.ops.quote_name(PAGE)
        text = f"array_to_json(ARRAY(WITH {name} AS MATERIALIZED {page} {rows}))"
        return text, [*page_params, *rows_params]
