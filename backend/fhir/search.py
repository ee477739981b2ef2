"""FHIR search: one search of a resource type from the request's parameters, its page
(offset paging, links), its total, ``_include``/``_revinclude`` (and ``:iterate``) and
the searchset Bundle."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from fhir.resources.R4B.bundle import Bundle

from backend.api_auth import authorize
from backend.errors import UserInputError
from backend.fhir.errors import FhirError, bad_request
from backend.fhir.resources import FhirResource, Include
from backend.fhir.search_params import COMMON_PARAMS
from backend.fhir.search_query import CONTROL, ignored_names, whole_number
from backend.fhir.summary import Elements
from backend.fhir.versions import (
    _current_queryset,
    _with_versions,
    hidden_types,
    render_current,
)
from backend.graphql.connection import count_subquery
from backend.ordering import order_terms
from backend.text import filter_texts

#: ``_include:iterate`` follows references at most this many times (a hierarchy's depth).
MAX_ITERATE = 10


class Search:
    """One search of ``resource`` from the request's parameters (FHIR search rules).

    Every parameter is read and checked once, in the constructor, before any SQL
    (:func:`~backend.fhir.search_query.ignored_names`): a problem is a 400
    OperationOutcome naming the parameter as sent. The rules (FHIR R4 search.html):
    names are the type's search parameters (with the modifiers their type takes) or the
    control parameters below; an unknown one is a 400 (ignoring it would return more
    than was asked; only :data:`~backend.fhir.search_query.IGNORED` pass, with a
    warning), unless the client prefers lenient handling (#errors: ignored, with the
    warning, and left out of the self link, #selflink); every value is non-empty;
    ``_count`` (0 to ``GRAPHQL_MAX_PAGE_SIZE``,
    #count), ``_offset`` (a whole number, this server's paging), ``_total`` (``none``,
    ``estimate``, ``accurate``, #total), ``_sort`` (the type's sort keys, each once,
    ``-`` to reverse, #sort), ``_summary`` (``true``, ``text``, ``data``, ``count``,
    ``false``, #summary), ``_elements`` (top-level elements of the type, #elements; not
    with ``_summary``), ``_format`` and ``_pretty`` are given at most once;
    ``_summary=count`` (the total alone) with ``_total=none`` (no total) is a 400:
    contradictory; ``_include`` and ``_revinclude`` name an include of the type, its
    third part its target (#include).

    Constant SQL queries per page: one for the page (its total as a subquery, each
    row's version as a subquery), one per ``_include``/``_revinclude`` (and per
    iteration of ``:iterate``); ``_summary=count``: one count.

    Each resource type an ``_include`` or ``_revinclude`` adds needs its view permission,
    as a search of it does (403 naming the permission and the parameter), and so does
    each type a reference search parameter names (``Organization?location=``); the
    searched type's is checked before (:func:`backend.fhir.views._readable`). The
    resources served keep no reference to a type the user may not view
    (:func:`~backend.fhir.versions.hidden_types`).
    """

    def __init__(
        self,
        request,
        resource: FhirResource,
        resources: dict[str, FhirResource],
        query: QueryDict | None = None,
        lenient: bool = False,
    ):
        """``query``: the search parameters (name -> values); default the URL's
        (``request.GET``); ``POST …/_search`` passes the URL's and the form's together.
        ``lenient``: ``Prefer: handling=lenient`` (unknown names are ignored)."""
        self.request, self.resource, self.resources = request, resource, resources
        self.params = {**COMMON_PARAMS, **resource.search_params}
        self.query = query = request.GET if query is None else query
        type_ = resource.resource_type
        self.ignored = ignored_names(query, self.params, type_, lenient=lenient)
        self.count = whole_number(query, "_count", settings.GRAPHQL_DEFAULT_PAGE_SIZE)
        if self.count > settings.GRAPHQL_MAX_PAGE_SIZE:
            raise bad_request(
                f"_count={self.count} is above the maximum page size "
                f"{settings.GRAPHQL_MAX_PAGE_SIZE} (GRAPHQL_MAX_PAGE_SIZE)."
            )
        self.offset = whole_number(query, "_offset", 0)
        self.total = query.get("_total", "accurate")
        if self.total not in ("none", "estimate", "accurate"):
            raise bad_request(f"_total={self.total}: use none, estimate or accurate.")
        self.elements = Elements.from_query(query, resource)
        if self.elements.count_only and self.total == "none":
            raise bad_request(
                "_summary=count and _total=none: give one of them (_summary=count is the "
                "total alone, _total=none asks for no total)."
            )
        self.includes = self._includes("_include", resource.includes, lambda i: i.target)
        self.revincludes = self._includes(
            "_revinclude", _revincludes(resource, resources), lambda i: i.source
        )
        self.hidden = hidden_types(request.user)
        self._matches = self._filtered()
        self._order = self._ordering()

    def _includes(
        self, name: str, known: Iterable[Include], adds: Callable[[Include], str]
    ) -> list[tuple[Include, bool]]:
        """The includes the parameter ``name`` asks for (with whether they iterate), once
        the user may read the resource type each ``adds``: ``<source>:<name>`` or
        ``<source>:<name>:<target type>`` (R4 search.html#include)."""
        by_key = {i.key: i for i in known}
        chosen = []
        for parameter in (name, f"{name}:iterate"):
            for value in self.query.getlist(parameter):
                key, typed, target = value.partition(":")[2].partition(":")
                key = f"{value.partition(':')[0]}:{key}"
                include = by_key.get(key)
                if typed and not target:
                    raise bad_request(f"{parameter}={value}: no target type after {key}:.")
                if include is None:
                    raise bad_request(
                        f"{parameter}={value}: not supported on {self.resource.resource_type} "
                        f"(supported: {', '.join(by_key) or 'none'})."
                    )
                if target and target != include.target:
                    raise bad_request(
                        f"{parameter}={value}: {key} refers to {include.target}, not {target}."
                    )
                added = self.resources.get(adds(include))
                if added is not None:
                    action = f"include {added.resource_type} resources ({parameter}={value})"
                    authorize(self.request, added.view_permission, action)
                chosen.append((include, parameter.endswith(":iterate")))
        return chosen

    def _filtered(self) -> QuerySet:
        """The rows the search parameters select (each value read once, here): several
        parameters of one name AND, comma-separated values OR, each trimmed of its
        surrounding white space; a value the parameter cannot read, or one every
        surface's filter text refuses (:func:`backend.text.filter_texts`: blank, an
        empty item, a NUL, too long), is a 400 naming the parameter."""
        queryset = _current_queryset(self.resource, self.request.user)
        for name in self.query:
            base, _, modifier = name.partition(":")
            param = self.params.get(base)
            if param is None or base in CONTROL or name in self.ignored:
                continue
            target = self.resources.get(param.target) if param.target else None
            if target is not None:  # the matches would tell which rows it refers to
                action = f"search by {target.resource_type} references ({name})"
                authorize(self.request, target.view_permission, action)
            for value in self.query.getlist(name):  # several parameters: AND
                try:  # commas: OR
                    alternatives = filter_texts(name, value, listed=True)
                except UserInputError as error:
                    raise bad_request(str(error)) from None
                try:
                    matches = [param.apply(queryset, a, modifier or None) for a in alternatives]
                except FhirError as error:
                    raise FhirError(
                        400, "invalid", f"{name}={value}: {error.message}", error.expression
                    ) from None
                queryset = functools.reduce(operator.or_, matches)
        return queryset

    def queryset(self) -> QuerySet:
        """The matching rows in the search's order (a new queryset each call; the
        parameters were read once, by the constructor)."""
        return self._matches.order_by(*order_terms(self.resource.get_model(), self._order))

    def _ordering(self) -> list[str]:
        """The fields ``_sort`` names (``-`` descending), checked; each sorts by the
        model's rule (:func:`backend.ordering.order_terms`: a name ignoring case, as
        GraphQL's ``orderBy``), then the model's ordering and the primary key."""
        sort = {"_id": "uuid", "_lastUpdated": "validity_from", **self.resource.sort}
        ordering = []
        text = self.query.get("_sort")
        names = [] if text is None else text.split(",")
        seen = set()
        for name in names:
            field = sort.get(name.removeprefix("-"))
            if field is None:
                raise bad_request(
                    f"_sort={text}: sort by one of {', '.join(sorted(sort))} "
                    f"(prefix - to reverse), not {name!r}."
                )
            if field in seen:
                raise bad_request(f"_sort={text}: {name.removeprefix('-')} is given twice.")
            seen.add(field)
            ordering.append(f"-{field}" if name.startswith("-") else field)
        return ordering

    def bundle(self) -> dict:
        """The searchset Bundle: the page's matches, their includes, the total (unless
        ``_total=none``), the links; ``_summary=count``: the total alone."""
        if self.elements.count_only:
            total = self.queryset().count()
            link = {"relation": "self", "url": self._links(False)[0]["url"]}
            bundle = {"resourceType": "Bundle", "type": "searchset", "link": [link]}
            Bundle.model_validate(bundle)
            return {**bundle, "total": total}
        queryset = _with_versions(self.queryset())
        if self.total != "none":
            queryset = queryset.annotate(_fhir_total=count_subquery(self.queryset()))
        rows = list(queryset[self.offset : self.offset + self.count + 1]) if self.count else []
        has_next = len(rows) > self.count
        rows = rows[: self.count]
        total = None
        if self.total != "none":  # counted in the page's query; by itself for an empty page
            total = rows[0]._fhir_total if rows else self.queryset().count()
        entries = [self._entry(self.resource, row, "match") for row in rows]
        entries += self._included(rows)
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "link": self._links(has_next),
            "entry": entries,
        }
        if total is not None:
            bundle["total"] = total
        ignored = sorted(self.ignored)
        if ignored:
            issue = {
                "severity": "warning",
                "code": "not-supported",
                "diagnostics": f"Ignored: {', '.join(ignored)}.",
            }
            bundle["entry"].append(
                {
                    "resource": {"resourceType": "OperationOutcome", "issue": [issue]},
                    "search": {"mode": "outcome"},
                }
            )
        Bundle.model_validate({**bundle, "entry": []})  # each resource validated on render
        return bundle

    def _entry(self, resource: FhirResource, row: Any, mode: str) -> dict:
        return {
            "fullUrl": self.request.build_absolute_uri(
                f"/fhir/{resource.resource_type}/{row.uuid}"
            ),
            "resource": self.elements.apply(
                render_current(resource, row, hidden=self.hidden), resource
            ),
            "search": {"mode": mode},
        }

    def _included(self, rows: list[Any]) -> list[dict]:
        """Entries of ``_include`` and ``_revinclude`` (each resource once), current
        resources only: a deleted one is gone (a read is a 410, R4 http.html#read), so a
        reference to it includes nothing rather than its last version as if current."""
        seen = {(self.resource.resource_type, row.pk) for row in rows}
        entries = []
        frontier = {self.resource.resource_type: rows}
        for _round in range(MAX_ITERATE):
            found: dict[str, list[Any]] = {}
            for include, iterate in self.includes:
                if _round and not iterate:
                    continue
                keys = {getattr(r, include.attname) for r in frontier.get(include.source, ())}
                keys.discard(None)
                target = self.resources.get(include.target)
                if keys and target is not None:
                    found.setdefault(include.target, []).extend(
                        _with_versions(_current_queryset(target, self.request.user)).filter(
                            pk__in=keys
                        )
                    )
            for include, iterate in self.revincludes:  # :iterate: of what was included too
                keys = [r.pk for r in frontier.get(include.target, ())]
                if keys and (iterate or not _round):
                    source = self.resources[include.source]
                    matches = _current_queryset(source, self.request.user).filter(
                        **{f"{include.attname}__in": keys}
                    )
                    found.setdefault(include.source, []).extend(_with_versions(matches))
            frontier = {}
            for resource_type, found_rows in found.items():
                for row in found_rows:
                    if (resource_type, row.pk) not in seen:
                        seen.add((resource_type, row.pk))
                        frontier.setdefault(resource_type, []).append(row)
                        entries.append(self._entry(self.resources[resource_type], row, "include"))
            if not frontier:
                break
        return entries

    def _links(self, has_next: bool) -> list[dict]:
        def url(offset: int) -> str:
            # the parameters used (R4 search.html#selflink): not those ignored
            pairs = [(k, v) for k in self.query for v in self.query.getlist(k)]
            pairs = [(k, v) for k, v in pairs if k not in ("_offset", "_count", *self.ignored)]
            pairs += [("_count", str(self.count)), ("_offset", str(offset))]
            path = f"/fhir/{self.resource.resource_type}?{urlencode(pairs)}"
            return self.request.build_absolute_uri(path)

        links = [{"relation": "self", "url": url(self.offset)}]
        if has_next:
            links.append({"relation": "next", "url": url(self.offset + self.count)})
        if self.offset:
            links.append({"relation": "previous", "url": url(max(0, self.offset - self.count))})
            links.append({"relation": "first", "url": url(0)})
        return links


def _revincludes(resource: FhirResource, resources: dict[str, FhirResource]) -> list[Include]:
    return [
        include
        for other in resources.values()
        for include in other.includes
        if include.target == resource.resource_type
    ]
