"""The module registry: what each active module contributes to the GraphQL API.

A module is a Django app under ``modules/<name>/`` whose AppConfig subclasses
:class:`ModuleConfig`. It declares, in one place, the modules it requires (``requires``)
and, in its ``schema`` submodule, a :class:`Contribution`: query classes, mutation
classes, the GraphQL types it owns, and the fields it adds to types owned by other
modules (``extensions``, keyed by GraphQL type name), and the key of each owned type
that other services may reference (``keys``, for subgraph mode).

Modules never import each other. A module names another module's GraphQL type with
:func:`ref` (a lazy reference by GraphQL name) and another module's model by its Django
label (``"location.Location"``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import strawberry
from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured

#: Namespace module in which every registered GraphQL type is published under its
#: GraphQL name; :func:`ref` resolves against it.
REFS_MODULE = "backend.graphql.refs"


class ModuleConfig(AppConfig):
    """Base AppConfig of an openIMIS module.

    Subclass it as ``registry.ModuleConfig`` (import the ``registry`` module, not the
    class), so that Django finds exactly one AppConfig in the module's ``apps.py``.

    ``requires``: labels of the modules this one needs (checked at start-up).
    ``schema_module``: submodule holding ``contribution`` (default ``"schema"``).
    """

    requires: tuple[str, ...] = ()
    schema_module: str = "schema"

    def contribution(self) -> Contribution:
        """Import ``<app>.<schema_module>`` and return its ``contribution`` attribute.

        Raises ImproperlyConfigured when the module defines none.
        """
        module: ModuleType = importlib.import_module(f"{self.name}.{self.schema_module}")
        contribution = getattr(module, "contribution", None)
        if not isinstance(contribution, Contribution):
            raise ImproperlyConfigured(
                f"Module {self.label!r}: {module.__name__}.contribution must be a "
                "backend.registry.Contribution."
            )
        return contribution


@dataclass(frozen=True)
class Contribution:
    """What one module adds to the composed schema.

    ``queries`` / ``mutations``: strawberry types whose fields become root fields.
    ``types``: the GraphQL object types the module owns (published for :func:`ref`).
    ``extensions``: GraphQL type name -> strawberry types whose fields are added to
    that type (owned by another module). A field name clash is an error.
    ``keys``: GraphQL name of an owned type -> the GraphQL name of the field that
    identifies it across services (``{"Location": "uuid"}``). In subgraph mode such a
    type is a federation entity (``@key``), resolved in batches by that field, which
    must map to a unique model field of a ``strawberry_django`` type. A module that
    extends a type (``extensions``) needs the owner to declare its key.
    ``fhir``: the module's FHIR R4 resources (:class:`backend.fhir.FhirResource`
    instances), served at ``/fhir/<type>``.
    ``jsonapi``: the module's JSON:API resources (:class:`backend.jsonapi.JsonApiResource`
    instances), served at ``/api/<type>``.
    ``jsonapi_relationships``: JSON:API type -> {relationship name ->
    :class:`backend.jsonapi.Relationship`} this module adds to a type owned by another
    module (``{"locations": {"payers": ...}}``).
    """

    queries: Sequence[type] = ()
    mutations: Sequence[type] = ()
    types: Sequence[type] = ()
    extensions: Mapping[str, Sequence[type]] = field(default_factory=dict)
    keys: Mapping[str, str] = field(default_factory=dict)
    fhir: Sequence[Any] = ()
    jsonapi: Sequence[Any] = ()
    jsonapi_relationships: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def ref(graphql_name: str) -> Any:
    """Lazy reference to the GraphQL type named ``graphql_name``, owned by any module.

    Use it as an annotation: ``location: ref("Location") | None``. It resolves when the
    schema is built, to the class the owning module registered; building fails with
    ``KeyError`` when no active module owns that type.
    """
    return strawberry.LazyType(graphql_name, REFS_MODULE)


def active_modules() -> list[ModuleConfig]:
    """The active module AppConfigs, in the order of ``settings.OPENIMIS_MODULES``."""
    return [c for c in apps.get_app_configs() if isinstance(c, ModuleConfig)]


def check_requirements(modules: list[ModuleConfig] | None = None) -> None:
    """Raise ImproperlyConfigured naming every module whose requirement is not active.

    ``modules``: the module configs to check (default: the active modules).
    """
    modules = active_modules() if modules is None else modules
    active = {c.label for c in modules}
    problems = [
        f"module {c.label!r} requires {req!r}, which is not active"
        for c in modules
        for req in c.requires
        if req not in active
    ]
    if problems:
        raise ImproperlyConfigured(
            "; ".join(problems) + f". Active modules: {', '.join(sorted(active)) or '(none)'}. "
            "Add the missing modules to OPENIMIS_MODULES."
        )
