"""The query string of a JSON:API request, read once and checked whole (:func:`parse`),
before any SQL: every endpoint (list, detail, related resources) takes its parameters
from the :class:`Query` it gives, so a parameter nobody listed is refused the same way.

The rules, by JSON:API 1.1 (https://jsonapi.org/format/1.1/):

- a name is one of ``include``, ``fields[TYPE]``, ``sort``, ``page[number]``,
  ``page[size]``, ``filter[NAME]``; any other is a 400 ("Implementation-Specific Query
  Parameters": a server MUST 400 on an all-lowercase name it cannot process; a name of
  another shape is refused too, since ignoring it would answer something else than was
  asked);
- a name is given once (a second ``sort`` or ``filter[type]`` would leave the server to
  guess which one counts) and with a value, except ``include=`` (an empty list of
  paths: nothing included) and ``fields[TYPE]=`` (an empty list of fields: none of the
  type's fields, "Sparse Fieldsets");
- ``include``: every path names relationships of the served type, step by step
  ("Inclusion of Related Resources": MUST 400 on a path it cannot identify);
- ``fields[TYPE]``: a type this server serves, and attributes or relationships of it
  ("Sparse Fieldsets" says what the value is, not what an unknown name gets: this server
  refuses it rather than answer with fields nobody asked for);
- ``sort``: fields the type sorts by, each once, ``-`` for descending ("Sorting": MUST
  400 when the server does not support sorting as asked);
- ``page[number]``, ``page[size]``: whole numbers from 1 to 999,999,999, a page size at
  most ``GRAPHQL_MAX_PAGE_SIZE`` ("Pagination" reserves the ``page`` family; no other
  member is supported);
- ``filter[NAME]``: a filter the type declares (``JsonApiResource.filters``, ``search``),
  its value as the filter reads it ("Filtering" reserves the family and leaves the
  strategy to the server); a filter by the uuid of a related row
  (``filter[location.uuid]``) names a row the user may read, as GraphQL's
  ``filter.location`` does (:meth:`Query.require_known`);
- on a single resource (``/api/<type>/<uuid>``, a to-one related endpoint) only
  ``include`` and ``fields`` mean something ("Sorting" and "Pagination" apply to
  collections); ``sort``, ``page`` and ``filter`` are refused there rather than ignored.
  A to-many related endpoint (``/api/locations/<uuid>/payers``) takes all of them, for
  the related type: its filters, sorts and pages apply to the related rows.

A problem is a :class:`QueryParameterError`: a 400 error object whose
``source.parameter`` is the parameter as the client sent it (``filter[payers.name]``,
never the Django lookup).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django_filters.filters import BaseCSVFilter
from rest_framework import exceptions
from rest_framework_json_api.utils import format_field_name

from backend import rights
from backend.errors import UserInputError
from backend.ordering import order_terms
from backend.query_string import values_of
from backend.text import contains_any, filter_texts

#: The largest ``page[number]``: nine digits (a larger one is no page of any table here).
MAX_PAGE_NUMBER = 999_999_999
_NAME = re.compile(r"^(?P<family>fields|page|filter)\[(?P<member>[^\[\]]*)\]$")
_SEARCH = "search"


class QueryParameterError(exceptions.APIException):
    """A query parameter this server refuses: ``parameter`` (as sent: ``sort``,
    ``filter[parent.uuid]``), ``detail`` (the problem, for people); ``status`` 400 unless
    given. Rendered as one JSON:API error object with
    ``source.parameter``."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, parameter: str, detail: str, status: int = 400):
        super().__init__(detail)
        self.parameter = parameter
        self.status_code = status


@dataclass
class Query:
    """A request's query string, checked (:func:`parse`).

    ``include``: the relationship paths (dotted, JSON:API names); ``fields``: JSON:API
    type -> the field names asked for; ``sort``: Django ``order_by`` terms;
    ``page_number``, ``page_size``: None when absent; ``filters``: the validated
    django-filter FilterSet (None without ``filter[...]`` but ``filter[search]``);
    ``search``: the ``filter[search]`` text or None; ``related_keys``: each filter by
    the uuid of a related row, as sent -> (the related JSON:API type, the uuid as sent).
    """

    include: list[str] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)
    sort: list[str] = field(default_factory=list)
    page_number: int | None = None
    page_size: int | None = None
    filters: Any = None
    search: str | None = None
    related_keys: dict[str, tuple[str, str]] = field(default_factory=dict)

    def require_known(self, resources: Mapping[str, Any], user: Any) -> None:
        """Raise :class:`QueryParameterError` (400) naming the filter and the uuid when
        a filter by a related row's uuid names no row of that type ``user`` may read:
        unknown, spelled otherwise, or outside the user's districts alike
        (:func:`backend.rights.require_known`, GraphQL's rule for ``filter.parent`` and
        ``filter.location``; an empty page would not tell a typo from a row without
        related rows). One query per such filter (the view permission was checked
        before, :class:`~backend.jsonapi.permissions.ViewPermission`)."""
        for parameter, (type_, key) in self.related_keys.items():
            model = apps.get_model(resources[type_].model)
            try:
                rights.require_known(model, {parameter: [key]}, user)
            except UserInputError as error:
                raise QueryParameterError(parameter, str(error)) from None

    def apply(self, queryset: QuerySet, resource: Any) -> QuerySet:
        """``queryset`` (rows of ``resource``) narrowed by the filters and the search,
        ordered by ``sort`` then by the model's ordering and the primary key (a stable
        order for pages), each field by the model's rule (:func:`backend.ordering.order_terms`:
        a name ignoring case, as GraphQL's ``orderBy``)."""
        if self.filters is not None:
            queryset = self.filters.filter_queryset(queryset)
        if self.search is not None:
            queryset = queryset.filter(contains_any(resource.search, self.search))
        if self.sort:
            queryset = queryset.order_by(*order_terms(queryset.model, self.sort))
        return queryset


def parse(
    query: QueryDict,
    *,
    resource: Any,
    collection: bool,
    resources: Mapping[str, Any],
    relationships: Mapping[str, Mapping[str, Any]],
    serializers: Mapping[str, type],
    filterset: type | None,
) -> Query:
    """Check the query string ``query`` of a request serving ``resource`` (the related
    type on a related endpoint) as a collection (``collection``: a list, a to-many
    related endpoint) or a single resource, against every served type (``resources``,
    their ``relationships`` and ``serializers``) and the resource's django-filter
    ``filterset`` class. Returns the :class:`Query`; raises :class:`QueryParameterError`
    at the first problem (names in the order sent)."""
    parsed = Query()
    filter_data: dict[str, str] = {}
    filter_names: dict[str, str] = {}
    for name in query:
        match = _NAME.match(name)
        family = match["family"] if match else name
        if name in ("fields", "page", "filter"):
            raise QueryParameterError(name, f"{name} takes a name in brackets: {name}[...].")
        if family not in ("include", "sort", "fields", "page", "filter"):
            raise QueryParameterError(name, f"{name} is not a query parameter here ({_KNOWN}).")
        (value,) = values_of(query, name, may_be_empty=family in ("fields", "include"))
        if family in ("sort", "page", "filter") and not collection:
            raise QueryParameterError(
                name,
                f"{name}: a single resource has no {family}; "
                "only include and fields[TYPE] apply here.",
            )
        member = match["member"] if match else ""
        if family == "include":
            parsed.include = _include(value, resource.type, relationships) if value else []
        elif family == "fields":
            parsed.fields[member] = _fields(name, member, value, resources, serializers)
        elif family == "sort":
            parsed.sort = _sort(value, resource)
        elif family == "page":
            number = _page(name, member, value)
            if member == "number":
                parsed.page_number = number
            else:
                parsed.page_size = number
        elif member == _SEARCH and resource.search:
            (parsed.search,) = _texts(name, value)
        else:
            lookup = member.replace(".", "__")
            if filterset is None or lookup not in filterset.base_filters:
                known = [
                    n.replace("__", ".") for n in (filterset.base_filters if filterset else ())
                ]
                known += [_SEARCH] if resource.search else []
                raise QueryParameterError(
                    name,
                    f"{name}: {resource.type} has no filter {member!r} "
                    f"(filters: {', '.join(known) or 'none'}).",
                )
            filter_data[lookup] = value
            filter_names[lookup] = name
            related = relationships[resource.type].get(lookup.removesuffix("__uuid"))
            if lookup.endswith("__uuid") and related is not None and not related.many:
                parsed.related_keys[name] = (related.type, value.strip())
    if filter_data:
        parsed.filters = _filters(filterset, filter_data, filter_names)
    return parsed


_KNOWN = "include, fields[TYPE], sort, page[number], page[size], filter[NAME]"


def _include(value: str, owner: str, relationships: Mapping[str, Mapping[str, Any]]) -> list[str]:
    paths = value.split(",")
    for path in paths:
        type_ = owner
        for step in path.split("."):
            relationship = relationships[type_].get(step)
            if relationship is None:
                known = ", ".join(relationships[type_]) or "none"
                where = f" (in {path!r})" if path != step else ""
                raise QueryParameterError(
                    "include",
                    f"include={value}: {type_} has no relationship {step!r}{where} "
                    f"(relationships: {known}).",
                )
            type_ = relationship.type
    return paths


def _field_names(serializer: type) -> list[str]:
    """The JSON:API names of a type's attributes and relationships (not ``id``)."""
    return [format_field_name(n) for n in serializer.Meta.fields if n != "id"]


def _fields(
    name: str,
    type_: str,
    value: str,
    resources: Mapping[str, Any],
    serializers: Mapping[str, type],
) -> list[str]:
    if type_ not in resources:
        raise QueryParameterError(
            name, f"{name}: no type {type_!r} is served (types: {', '.join(resources)})."
        )
    if value == "":
        return []
    known = _field_names(serializers[type_])
    asked = value.split(",")
    unknown = [f for f in asked if f not in known]
    if unknown:
        raise QueryParameterError(
            name,
            f"{name}={value}: {type_} has no field {', '.join(map(repr, unknown))} "
            f"(fields: {', '.join(known)}).",
        )
    return asked


def _sort(value: str, resource: Any) -> list[str]:
    by_name = {format_field_name(f): f for f in resource.ordering}
    terms: list[str] = []
    seen: set[str] = set()
    for term in value.split(","):
        name = term.removeprefix("-")
        if name not in by_name:
            raise QueryParameterError(
                "sort",
                f"sort={value}: {resource.type} sorts by {', '.join(by_name) or 'nothing'} "
                f"(- before one for descending), not {term!r}.",
            )
        if name in seen:
            raise QueryParameterError("sort", f"sort={value}: {name} is given twice.")
        seen.add(name)
        terms.append(f"-{by_name[name]}" if term.startswith("-") else by_name[name])
    return terms


def _page(name: str, member: str, value: str) -> int:
    if member not in ("number", "size"):
        raise QueryParameterError(
            name, f"{name} is not supported: pages are page[number] and page[size]."
        )
    if not (value.isascii() and value.isdigit()) or int(value) <= 0:
        raise QueryParameterError(name, f"{name}={value!r} is not a positive whole number.")
    number = int(value)
    if member == "size" and number > settings.GRAPHQL_MAX_PAGE_SIZE:
        raise QueryParameterError(
            name,
            f"{name}={value} is above the maximum page size "
            f"{settings.GRAPHQL_MAX_PAGE_SIZE} (GRAPHQL_MAX_PAGE_SIZE).",
        )
    if number > MAX_PAGE_NUMBER:
        raise QueryParameterError(name, f"{name}={value} is above {MAX_PAGE_NUMBER}.")
    return number


def _texts(name: str, value: str, *, listed: bool = False) -> list[str]:
    """A filter's text (the value, or the items of a list) as every surface reads it
    (:func:`backend.text.filter_texts`: trimmed; blank, an empty item, a NUL or too long
    refused), a refusal naming the parameter ``name`` as sent."""
    try:
        return filter_texts(name, value, listed=listed)
    except UserInputError as error:
        raise QueryParameterError(name, str(error)) from None


def _filters(filterset: type, data: dict[str, str], names: Mapping[str, str]) -> Any:
    """The FilterSet of ``data`` (Django lookup -> value), validated (no SQL: an
    unbound queryset); a refused value names the parameter as sent, as do an empty item
    of a list (``filter[type.in]=R,,D``: django-filter would drop it) and a value or item
    every surface's filter text refuses (:func:`_texts`); each value and item is read
    trimmed."""
    for lookup, value in data.items():
        listed = isinstance(filterset.base_filters[lookup], BaseCSVFilter)
        data[lookup] = ",".join(_texts(names[lookup], value, listed=listed))
    bound = filterset(data=data, queryset=filterset._meta.model._default_manager.none())
    if not bound.is_valid():
        lookup, problems = next(iter(bound.errors.items()))
        parameter = names.get(lookup, f"filter[{lookup.replace('__', '.')}]")
        raise QueryParameterError(
            parameter, f"{parameter}={data.get(lookup, '')}: {' '.join(problems)}"
        )
    return bound


def page_size(query: Query) -> int:
    """The page size asked for, or ``GRAPHQL_DEFAULT_PAGE_SIZE``."""
    return query.page_size or settings.GRAPHQL_DEFAULT_PAGE_SIZE


__all__: Sequence[str] = ("MAX_PAGE_NUMBER", "Query", "QueryParameterError", "page_size", "parse")
