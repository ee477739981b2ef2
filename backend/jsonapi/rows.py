"""The rows the JSON:API surface serves, the same on every endpoint: a type's current
rows the user may read (:func:`current`, district rights), with what rendering needs
preloaded, each to-many relationship narrowed the same way at any depth
(:func:`preload`); and a related-resource endpoint (:class:`RelatedResources`) serving
the related rows through that same path, under their own type, a to-many one paginated
as a list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import apps
from django.db.models import Prefetch, QuerySet
from rest_framework.exceptions import APIException, NotFound
from rest_framework.fields import DateTimeField
from rest_framework.response import Response

from backend.ids import parse_id
from backend.ordering import order_terms
from backend.references import implies_readable
from backend.rights import placement_of, readable


def unknown_id(type_: str, text: str) -> NotFound:
    """The 404 of an id no ``type_`` resource the user may read has, naming both (JSON:API
    1.1 "Fetching Resources": 404 for a resource that does not exist); the same for an
    id that is no uuid in canonical form (JSON:API 1.1 "Identification": ids are
    strings, :func:`backend.ids.parse_id`) and for a row outside the user's districts."""
    return NotFound(f"No {type_} resource has id {text!r}.")


class Gone(APIException):
    """410 Gone: the resource existed and was deleted (RFC 9110 §15.5.11)."""

    status_code = 410
    default_code = "gone"


def missing(resource: Any, key: Any, text: str, user: Any) -> APIException:
    """Why ``/api/<type>/<text>`` serves no current row (``key``: ``text`` as a uuid, or
    None): :class:`Gone` when it names a deleted row ``user`` may read (a deleted row is
    its resource's last version, ``legacy`` null; a history row's own uuid names no
    resource), naming when, as FHIR's read answers 410 for a deleted resource (R4
    http.html#read; JSON:API 1.1 "Fetching Resources" keeps 404 for a resource that does
    not exist and lets other 4xx codes be used); else :func:`unknown_id` (404), for a row
    outside the user's districts too."""
    if key is not None:
        rows = apps.get_model(resource.model)._default_manager.filter(
            uuid=key, legacy__isnull=True, validity_to__isnull=False
        )
        row = readable(rows, user).first()
        if row is not None:
            at = DateTimeField().to_representation(row.validity_to)
            return Gone(f"The {resource.type} resource '{text}' was deleted at {at}.")
    return unknown_id(resource.type, text)


def current(resource: Any, user: Any = None) -> QuerySet:
    """The resource's current rows (:meth:`backend.versioning.VersionedQuerySet.current`),
    those ``user`` may read when given (district rights, :func:`backend.rights.readable`)."""
    rows = apps.get_model(resource.model)._default_manager.current()
    return rows if user is None else readable(rows, user)


def preload(
    queryset: QuerySet,
    owner: str,
    resources: Mapping[str, Any],
    relationships: Mapping[str, Mapping[str, Any]],
    include: Sequence[str],
    user: Any,
) -> QuerySet:
    """``queryset`` with what rendering needs, in a constant number of queries: each
    to-one relationship joined (its uuid is the identifier), each to-many one prefetched
    (current rows ``user`` may read), and the same for every resource an ``include``
    path reaches. A to-one relationship to a row of a placed model that the owner's
    placement does not imply readable (:func:`backend.references.implies_readable` of
    current rows: every row served is current, and so is every row a current row's
    to-one relationship reaches) is
    prefetched instead, from the rows ``user`` may read (one query more): a row outside
    the user's districts is null, its identifier and include left out."""
    joins: list[str] = []
    prefetches: list[Prefetch] = []

    def walk(type_: str, prefix: str, depth: int, paths: list[list[str]]) -> None:
        for name, relationship in relationships[type_].items():
            path = f"{prefix}{relationship.source}"
            deeper = [p[1:] for p in paths if p and p[0] == name]
            if relationship.many:
                inner = preload(
                    current(resources[relationship.type], user),
                    relationship.type,
                    resources,
                    relationships,
                    [".".join(p) for p in deeper if p],
                    user,
                )
                prefetches.append(Prefetch(path, queryset=inner))
            elif user is not None and _checked(resources[type_], relationship.source):
                model = apps.get_model(resources[relationship.type].model)
                inner = readable(model._default_manager.all(), user)
                if deeper and depth < 8:  # included: rendered with its relationships
                    wanted = [".".join(p) for p in deeper if p]
                    type_to = relationship.type
                    inner = preload(inner, type_to, resources, relationships, wanted, user)
                prefetches.append(Prefetch(path, queryset=inner))
            else:
                joins.append(path)
                if deeper and depth < 8:
                    walk(relationship.type, f"{path}__", depth + 1, deeper)

    walk(owner, "", 0, [p.split(".") for p in include if p])
    return queryset.select_related(*joins).prefetch_related(*prefetches)


def _checked(owner: Any, source: str) -> bool:
    """True when the to-one relationship ``source`` of the resource ``owner`` must be
    read through :func:`backend.rights.readable` (its model is placed, and the owner's
    placement does not imply it for current rows, the only ones served)."""
    model = apps.get_model(owner.model)
    target = model._meta.get_field(source).related_model
    implied = implies_readable(model, source, history=False)
    return placement_of(target) is not None and not implied


class RelatedResources:
    """``/api/<type>/<uuid>/<relationship>`` of a viewset (``resource``,
    ``all_resources``, ``all_relationships``): the related rows read as the related
    type's own list and detail read them (:func:`current` and :func:`preload` for the
    related type and the request's ``include``; DRF-JSON:API serialized the attribute of
    the owner row, whose relationships skipped the district rights), rendered under the
    related type (not the owner's ``resource_name``); to-many: filtered, sorted and
    paginated as a list of the related type (the request's checked query,
    :mod:`backend.jsonapi.query`), never the owner row."""

    def get_queryset(self) -> QuerySet:
        """The viewset's own rows; on a related endpoint, the owner row's, not rendered
        (nothing preloaded: the ``include`` is the related type's)."""
        if "related_field" in self.kwargs:
            return current(self.resource, self.request.user)
        return self.readable_rows(self.resource)

    def get_object(self) -> Any:
        """The row of the URL's id (the owner row on a related endpoint) as the user may
        read it; when there is none, :func:`missing`: 410 for a deleted one, else 404
        naming the type and the id (DRF's 404 named neither)."""
        text = self.kwargs["uuid"]
        key = parse_id(str(text))
        row = None if key is None else self.get_queryset().filter(uuid=key).first()
        if row is None:
            raise missing(self.resource, key, str(text), self.request.user)
        self.check_object_permissions(self.request, row)
        return row

    def readable_rows(self, resource: Any) -> QuerySet:
        """``resource``'s rows the user may read, preloaded for the request's include."""
        user = self.request.user
        rows = preload(
            current(resource, user),
            resource.type,
            self.all_resources,
            self.all_relationships,
            self.request.query_params.get("include", "").split(","),
            user,
        )
        return rows.order_by(*order_terms(rows.model, ()))

    def retrieve_related(self, request, *args: Any, **kwargs: Any) -> Response:
        relationship = self.all_relationships[self.resource.type][self.get_related_field_name()]
        target = self.all_resources[relationship.type]
        owner = self.get_object()
        self.resource_name = target.type
        rows = self.readable_rows(target)
        serializer = self.get_related_serializer_class()
        field = type(owner)._meta.get_field(relationship.source)
        if relationship.many:  # the related name of a foreign key to the owner
            rows = self.request.jsonapi_query.apply(
                rows.filter(**{field.field.name: owner}), target
            )
            page = self.paginate_queryset(rows)
            data = serializer(page, many=True, context=self.get_serializer_context()).data
            return self.get_paginated_response(data)
        row = rows.filter(pk=getattr(owner, field.attname)).first()
        data = None if row is None else serializer(row, context=self.get_serializer_context()).data
        return Response(data)
