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
        from django_structlog.signals import bind_extra_request_metadata

        from backend import deployment  # noqa: F401 (registers its system check)
        from backend.auth_cache import forget_cached_auth_on_changes
        from backend.graphql.schema import get_schema
        from backend.manifest_checks import check_manifests
        from backend.observability import bind_client_address
        from backend.registry import active_modules

        check_manifests()
        forget_cached_auth_on_changes()
        bind_extra_request_metadata.connect(bind_client_address)
        for module in active_modules():
            for label, admin_class in module.manifest.admin.items():
                admin.site.register(apps.get_model(label), admin_class)
        # Composed once per process (cached; the URLs serve this schema): a field-name
        # clash or an unknown extension target stops start-up, not the first request.
        get_schema()
