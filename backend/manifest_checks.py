"""The start-up checks of the active modules' manifests (the module contract:
:mod:`backend.registry`): a bad manifest stops start-up with one message naming each
module and problem (``CoreConfig.ready`` runs :func:`check_manifests`)."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from backend.manifest_graphql_checks import graphql_problems
from backend.manifest_surface_checks import surface_problems
from backend.registry import ModuleConfig, active_modules, model_view_permissions


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


def _model_label_problem(label: str, active: set[str]) -> str | None:
    """Why ``label`` names no model of an active module (None when it does)."""
    app_label, _, model_name = label.partition(".")
    if not model_name:
        return f"{label!r} is not a model label ('app_label.ModelName')"
    if app_label not in active:
        return f"{label!r} belongs to module {app_label!r}, which is not active"
    try:
        apps.get_model(label)
    except LookupError:
        return f"{label!r} names no model of module {app_label!r}"
    return None


def check_manifests(modules: list[ModuleConfig] | None = None) -> None:
    """Check every manifest; raise ImproperlyConfigured naming each module and problem.

    Refused: a missing requirement, an unknown or inactive model label in ``admin``,
    ``delete_guards``, ``delete_handlers`` or ``placement``, an owned type without a view
    permission, a model whose surfaces (GraphQL, FHIR, JSON:API) name different view
    permissions; the GraphQL declarations
    (:func:`backend.manifest_graphql_checks.graphql_problems`: unknown ``ref()`` and
    extension targets, field-name clashes, ``keys``, relations the model lacks) and the
    others (:func:`backend.manifest_surface_checks.surface_problems`: placement paths,
    FHIR, JSON:API and legacy clashes, JSON:API relationships, legacy column types).
    Every problem is ``"module '<label>': <problem>"``; all of them are joined into the
    one message (one line) of the ImproperlyConfigured raised, before any schema or
    surface is composed.
    """
    modules = active_modules() if modules is None else modules
    check_requirements(modules)
    active = {m.label for m in modules}
    problems: list[str] = []
    for module in modules:
        manifest = module.manifest
        for label in (
            *manifest.admin,
            *manifest.delete_guards,
            *manifest.delete_handlers,
            *manifest.placement,
        ):
            problem = _model_label_problem(label, active)
            if problem:
                problems.append(f"module {module.label!r}: {problem}")
    problems.extend(_permission_problems(modules))
    problems.extend(graphql_problems(modules))
    problems.extend(surface_problems(modules))
    if problems:
        raise ImproperlyConfigured("; ".join(problems) + ".")


def _permission_problems(modules: list[ModuleConfig]) -> list[str]:
    """Each owned type without a view permission, and each model whose GraphQL type, FHIR
    and JSON:API resources, in any of ``modules``, name different ones (one permission
    guards a model's rows on every surface, whichever module serves it:
    :func:`backend.registry.model_view_permissions`)."""
    problems = [
        f"module {module.label!r}: type {cls.__name__} declares no view_permission"
        for module in modules
        for cls in module.manifest.types
        if not getattr(cls, "view_permission", None)
    ]
    for model, surfaces in model_view_permissions(modules).items():
        if len(set(surfaces.values())) > 1:
            owners = list(dict.fromkeys(module for module, _ in surfaces))
            listed = ", ".join(
                f"{name}{f' of {module!r}' if len(owners) > 1 else ''}: {permission!r}"
                for (module, name), permission in surfaces.items()
            )
            who = ", ".join(map(repr, owners))
            problems.append(
                f"module{'s' if len(owners) > 1 else ''} {who}: the view permission of "
                f"{model!r} differs between surfaces ({listed})"
            )
    return problems
