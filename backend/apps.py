from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The core: reads the active modules' manifests and wires them (module contract:
    :mod:`backend.registry`)."""

    name = "backend"
    label = "core"
    verbose_name = "openIMIS GraphQL core"

    def ready(self) -> None:
        from django.apps import apps
        from django.contrib import admin

        from backend import deployment  # noqa: F401 (registers its system check)
        from backend.graphql.schema import build_schema
        from backend.registry import active_modules, check_manifests

        check_manifests()
        for module in active_modules():
            for label, admin_class in module.manifest.admin.items():
                admin.site.register(apps.get_model(label), admin_class)
        # Composing once (about 40 ms) refuses field-name clashes and unknown extension
        # targets at start-up instead of at the first request.
        build_schema()
