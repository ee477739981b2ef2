from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The core: module registry checks, schema assembly, shared GraphQL types."""

    name = "backend"
    label = "core"
    verbose_name = "openIMIS GraphQL core"

    def ready(self) -> None:
        from backend import deployment  # noqa: F401 (registers its system check)
        from backend.registry import check_requirements

        check_requirements()
