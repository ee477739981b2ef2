"""Permissions of the JSON:API surface: every row served needs its type's view
permission (:class:`ViewPermission`, on the request; :class:`PermittedRelationships`, on
the relationships rendered). The types and their permissions are the modules'
(``JsonApiResource.view_permission``); nothing here names one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework_json_api import utils

from backend.api_auth import authorize


class IncludeDenied(exceptions.PermissionDenied):
    """An ``include`` reaching a type the user may not view (``source.parameter``)."""


class FilterDenied(exceptions.PermissionDenied):
    """A ``filter[relationship.field]`` through a relationship to a type the user may
    not view (``source.parameter``: the filter)."""

    def __init__(self, detail: str, parameter: str):
        super().__init__(detail)
        self.parameter = parameter


class ViewPermission(BasePermission):
    """The view permission (and, for a bearer token, the ``read`` scope) of every type
    a request returns rows of, or whose rows it selects by: the type's own; on a
    related-resource endpoint, the related type's; each type an ``include`` path reaches
    (at any depth: ``parent.payers``), as :class:`IncludeDenied`; the type a filter
    through a relationship reaches (``filter[location.uuid]`` on payers: its matches
    would tell which payers are at which location), as :class:`FilterDenied`. Names are
    read as DRF-JSON:API reads them, so an include it accepts is one checked here."""

    def has_permission(self, request, view) -> bool:
        authorize(request, view.resource.view_permission)
        owner = view.resource.type
        if "related_field" in view.kwargs:
            name = view.get_related_field_name()
            relationship = view.all_relationships[owner].get(name)
            if relationship is None:
                known = ", ".join(view.all_relationships[owner]) or "none"
                raise exceptions.NotFound(
                    f"{owner} has no relationship {name!r} (relationships: {known})."
                )
            owner = relationship.type
            authorize(request, view.all_resources[owner].view_permission)
        served = view.get_related_serializer_class()  # the type's own, or the related one
        for path in utils.get_included_resources(request, served):
            self._check_include(request, view, owner, path.split("."))
        for parameter in request.query_params:
            if parameter.startswith("filter[") and parameter.endswith("]"):
                self._check_filter(request, view, owner, parameter)
        return True

    @staticmethod
    def _check_filter(request, view, owner: str, parameter: str) -> None:
        """``filter[a.b.c]``: each relationship the path goes through needs its type's
        view permission (an unknown name: the filter validation names it, 400)."""
        names = parameter[len("filter[") : -1].split(".")[:-1]
        for name in names:
            relationship = view.all_relationships[owner].get(name)
            if relationship is None:
                return
            owner = relationship.type
            action = f"filter by {owner} ({parameter})"
            try:
                authorize(request, view.all_resources[owner].view_permission, action)
            except PermissionDenied as error:
                raise FilterDenied(str(error), parameter) from error

    @staticmethod
    def _check_include(request, view, owner: str, names: list[str]) -> None:
        for name in names:
            relationship = view.all_relationships[owner].get(name)
            if relationship is None:
                return  # an unknown path: the include validation names it (400)
            owner = relationship.type
            try:
                authorize(request, view.all_resources[owner].view_permission)
            except PermissionDenied as error:
                raise IncludeDenied(str(error)) from error


class PermittedRelationships:
    """Leaves out the relationships the request's user may not see (the related
    type's view permission)."""

    _relationship_permissions: Mapping[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # not serving a request (the OpenAPI description): all fields
            return
        for name, permission in self._relationship_permissions.items():
            if name in self.fields and not request.user.has_perm(permission):
                self.fields.pop(name)
