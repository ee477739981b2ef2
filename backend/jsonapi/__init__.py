"""JSON:API at ``/api/``: the contract a module implements to serve its resources.

A module lists :class:`JsonApiResource` instances in ``Manifest(jsonapi=[...])``
(its serializer holds the attributes) and may add relationships to another module's
type with ``Manifest(jsonapi_relationships={"locations": {"payers": Relationship(
"payers", source="payers", many=True)}})``. The core
(:func:`assemble`) builds, for each type, the serializer with its relationships (ids are
uuids, links to the related resources) and a read-only viewset served by
`Django REST framework JSON:API <https://django-rest-framework-json-api.readthedocs.io>`_:
``filter[...]``, ``sort``, ``page[number]``/``page[size]``, ``include``, sparse fieldsets
``fields[type]``, errors as JSON:API error objects, and an OpenAPI description at
``/api/openapi``. Only current rows are served (a deleted one answers 410 Gone, an
earlier version's uuid 404: :func:`backend.jsonapi.rows.missing`). A module never
imports another: a relationship names its target by JSON:API type.

Every row served needs its type's view permission (:class:`ViewPermission`): a list or
read its own type's, ``include`` each included type's (403 with ``source.parameter``
``include``), a filter through a relationship (``filter[location.uuid]``) the related
type's (403 with ``source.parameter`` the filter), a related-resource endpoint
(``/api/locations/<uuid>/payers``) the related type's; a relationship to a type the
user may not view is left out.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django_filters import rest_framework as django_filters
from rest_framework import filters as drf_filters
from rest_framework_json_api import filters, relations, serializers, views
from rest_framework_json_api.django_filters import DjangoFilterBackend

from backend.api_auth import AUTHENTICATION
from backend.errors import is_database_fault
from backend.jsonapi.pagination import Pagination
from backend.jsonapi.permissions import (
    FilterDenied,
    IncludeDenied,
    PermittedRelationships,
    ViewPermission,
)
from backend.jsonapi.query import Query, QueryParameterError, parse
from backend.jsonapi.rows import RelatedResources, current
from backend.query_string import QueryStringProblem
from backend.request_body import BodyChecked, query_string_problem
from backend.views import error_response


@dataclass(frozen=True)
class Relationship:
    """A relationship of a JSON:API type.

    ``type``: the related JSON:API type (``"locations"``); ``source``: the model
    attribute (a foreign key, or the related name of a reverse one); ``many``: a to-many
    relationship (only current related rows are listed). It is shown to users holding
    the related type's view permission (else it is left out).
    """

    type: str
    source: str
    many: bool = False


@dataclass(frozen=True)
class JsonApiResource:
    """A module's JSON:API type.

    ``type``: the JSON:API type, plural (``"locations"``); ``model``: the Django label of
    a versioned model (current rows have ``validity_to`` NULL); ``view_permission``;
    ``serializer``: a ``rest_framework_json_api.serializers.ModelSerializer`` with the
    attributes (``Meta.fields``; ``id`` is the uuid, added by the core);
    ``relationships``: name -> :class:`Relationship`; ``filters``: django-filter
    ``filterset_fields`` (``{"code": ["exact", "startswith"]}`` gives
    ``filter[code]`` and ``filter[code.startswith]``); ``filter_methods``: a filter of
    ``filters`` whose meaning is the module's (``"location__uuid"``) -> a function of the
    rows and the filter's validated value giving the matching rows (the module's own
    queryset method, so that the filter means what it means on GraphQL: payers at or
    below a location); ``ordering``: fields ``sort`` accepts; ``search``: fields
    ``filter[search]`` looks in (the whole text, contained in any of them, any case:
    :func:`backend.text.contains_any`, GraphQL's ``search``).
    """

    type: str
    model: str
    view_permission: str
    serializer: type
    relationships: Mapping[str, Relationship] = field(default_factory=dict)
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    filter_methods: Mapping[str, Callable[[QuerySet, Any], QuerySet]] = field(default_factory=dict)
    ordering: Sequence[str] = ()
    search: Sequence[str] = ()


class UuidRelatedField(relations.ResourceRelatedField):
    """A read-only relationship whose resource identifiers are the related rows' uuids."""

    def use_pk_only_optimization(self) -> bool:
        return False  # the identifier is the uuid, read from the joined row

    def get_resource_id(self, value: Any) -> str:
        return str(value.uuid)


@dataclass
class Assembled:
    """The serializers and viewsets of the active modules' types, by JSON:API type."""

    resources: dict[str, JsonApiResource]
    relationships: dict[str, dict[str, Relationship]]
    serializers: dict[str, type]
    viewsets: dict[str, type]


@functools.cache
def assemble() -> Assembled:
    """Build every active module's JSON:API type once (after the app registry is ready).

    Raises ``ValueError`` when two modules serve one type, a relationship names a type
    no active module serves, or a name is added twice.
    """
    from backend.registry import active_modules

    contributions = [module.manifest for module in active_modules()]
    resources: dict[str, JsonApiResource] = {}
    for contribution in contributions:
        for resource in contribution.jsonapi:
            if resource.type in resources:
                raise ValueError(f"Two modules serve the JSON:API type {resource.type!r}.")
            resources[resource.type] = resource
    relationships = {t: dict(r.relationships) for t, r in resources.items()}
    for contribution in contributions:
        for target, added in contribution.jsonapi_relationships.items():
            if target not in resources:
                continue  # the owner is not active: nothing to extend
            for name, relationship in added.items():
                if name in relationships[target]:
                    raise ValueError(f"The JSON:API type {target!r} has {name!r} twice.")
                relationships[target][name] = relationship
    for owner, named in relationships.items():
        for name, relationship in named.items():
            if relationship.type not in resources:
                problem = f"{owner}.{name} relates to {relationship.type!r}"
                raise ValueError(f"{problem}, which no active module serves.")
    built = {t: _serializer(r, relationships[t], resources) for t, r in resources.items()}
    for type_, serializer in built.items():
        serializer.included_serializers = {
            name: built[r.type] for name, r in relationships[type_].items()
        }
    viewsets = {t: _viewset(r, built[t], resources, relationships) for t, r in resources.items()}
    filtersets = {t: viewset.filterset_class for t, viewset in viewsets.items()}
    for viewset in viewsets.values():
        viewset.all_serializers = built
        viewset.all_filtersets = filtersets
    return Assembled(resources, relationships, built, viewsets)


def _serializer(
    resource: JsonApiResource,
    relationships: Mapping[str, Relationship],
    resources: Mapping[str, JsonApiResource],
) -> type:
    base = resource.serializer
    attributes: dict[str, Any] = {
        "id": serializers.UUIDField(source="uuid", read_only=True),
        "_relationship_permissions": {
            n: resources[r.type].view_permission for n, r in relationships.items()
        },
    }
    for name, relationship in relationships.items():
        source = {} if relationship.source == name else {"source": relationship.source}
        attributes[name] = UuidRelatedField(
            **source,
            many=relationship.many,
            read_only=True,
            related_link_view_name=f"jsonapi-{resource.type}-related",
            related_link_url_kwarg="pk",  # DRF-JSON:API: add related_field to the URL
            related_link_lookup_field="uuid",
        )

    class Meta(base.Meta):
        fields = ("id", *base.Meta.fields, *relationships)
        resource_name = resource.type

    attributes["Meta"] = Meta
    return type(base.__name__, (PermittedRelationships, base), attributes)


class FilterBackend(DjangoFilterBackend):
    """``filter[field]`` and ``filter[field.lookup]`` (DRF-JSON:API's django-filter
    backend), with the filters listed in the OpenAPI description (django-filter 25
    dropped that part)."""

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        filterset = self.get_filterset_class(view, view.resource_queryset())
        if filterset is None:
            return []
        return [
            {
                "name": f"filter[{name.replace('__', '.')}]",
                "required": False,
                "in": "query",
                "description": f"{type(item).__name__} on {item.field_name} ({item.lookup_expr})",
                "schema": {"type": "string"},
            }
            for name, item in filterset.base_filters.items()
        ]


def _filterset(resource: JsonApiResource) -> type:
    """The django-filter FilterSet of ``resource.filters``, built once (from
    ``filterset_fields`` django-filter would build it again on every request: 0.2 s);
    a filter of ``resource.filter_methods`` selects its rows by the module's function."""
    meta = type(
        "Meta", (), {"model": apps.get_model(resource.model), "fields": dict(resource.filters)}
    )
    filterset = type(f"{resource.type.title()}Filters", (_FilterSet,), {"Meta": meta})
    for name, method in resource.filter_methods.items():
        filterset.base_filters[name].method = _rows_by(method)
    return filterset


def _rows_by(method: Callable[[QuerySet, Any], QuerySet]) -> Callable[..., QuerySet]:
    """A django-filter ``method`` (rows, field name, value) calling ``method(rows, value)``."""
    return lambda rows, _name, value: method(rows, value)


class _ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """Comma-separated values, each one of the field's choices."""


class _FilterSet(django_filters.FilterSet):
    """``in`` on a field with choices checks each value (django-filter drops unknown ones)."""

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        if lookup_type == "in" and field.choices:
            return _ChoiceInFilter, {"choices": field.choices}
        return super().filter_for_lookup(field, lookup_type)


def _viewset(
    resource: JsonApiResource,
    serializer: type,
    resources: Mapping[str, JsonApiResource],
    relationships: Mapping[str, Mapping[str, Relationship]],
) -> type:
    class ViewSet(BodyChecked, RelatedResources, views.ReadOnlyModelViewSet):
        authentication_classes = AUTHENTICATION
        permission_classes = (ViewPermission,)
        pagination_class = Pagination
        filter_backends = (  # for the OpenAPI description; filter_queryset reads the query
            filters.OrderingFilter,
            FilterBackend,
        )
        serializer_class = serializer
        lookup_field = "uuid"
        resource_name = resource.type
        filterset_class = _filterset(resource)
        ordering_fields = list(resource.ordering)
        search_fields = list(resource.search)

        @staticmethod
        def resource_queryset() -> QuerySet:
            return current(resource)

        def initial(self, request, *args: Any, **kwargs: Any) -> None:
            """After authentication and permissions: the query string, read once
            (:func:`backend.jsonapi.query.parse`) as ``request.jsonapi_query``, for the
            type served here (the related type on a related endpoint) as a collection
            (list, to-many related) or a single resource; a problem is a 400 naming the
            parameter, before any SQL of the data; then a filter's related uuid must
            name a row the user reads (:meth:`~backend.jsonapi.query.Query.require_known`)."""
            super().initial(request, *args, **kwargs)
            if problem := query_string_problem(request):
                raise QueryParameterError(*problem)
            served, collection = self.resource, "uuid" not in kwargs
            if "related_field" in kwargs:
                relationship = self.all_relationships[served.type][kwargs["related_field"]]
                served, collection = self.all_resources[relationship.type], relationship.many
            request.jsonapi_query = parse(
                request.query_params,
                resource=served,
                collection=collection,
                resources=self.all_resources,
                relationships=self.all_relationships,
                serializers=self.all_serializers,
                filterset=self.all_filtersets[served.type],
            )
            request.jsonapi_query.require_known(self.all_resources, request.user)

        def filter_queryset(self, queryset: QuerySet) -> QuerySet:
            """A list's rows by the request's filters and sort (:meth:`Query.apply`);
            a single resource's (and a related endpoint's owner row) as they are (the
            query string holds no filter or sort for them)."""
            if self.action != "list":
                return queryset
            query: Query = self.request.jsonapi_query
            return query.apply(queryset, self.resource)

        def handle_exception(self, exc: Exception):
            """The library's error objects, with ``source.parameter`` for a refused
            query parameter (:class:`~backend.jsonapi.query.QueryParameterError`) or
            include, and no ``source.pointer``: the surface is read-only, so no
            error is in a request document (the library pointed 401s and 403s at
            ``/data`` and ``/data/attributes/detail``); the core's query-string checker's
            :class:`~backend.query_string.QueryStringProblem` is such a refusal; a
            database fault, authenticating too, the 503 of every surface."""
            if is_database_fault(exc):
                return error_response(self.request, exc)
            if isinstance(exc, QueryStringProblem):
                exc = QueryParameterError(exc.parameter, exc.message)
            response = super().handle_exception(exc)
            for error in response.data:
                source = error.pop("source", {})
                source.pop("pointer", None)
                if isinstance(exc, IncludeDenied):
                    source["parameter"] = "include"
                if isinstance(exc, QueryParameterError | FilterDenied):
                    source["parameter"] = exc.parameter
                if source:
                    error["source"] = source
            return response

    ViewSet.resource = resource
    ViewSet.all_relationships = relationships
    ViewSet.all_resources = resources
    if resource.search:
        ViewSet.filter_backends = (*ViewSet.filter_backends, drf_filters.SearchFilter)
    name = serializer.__name__.removesuffix("Serializer")
    ViewSet.__name__ = ViewSet.__qualname__ = f"{name}ViewSet"
    return ViewSet
