from django.apps import AppConfig


class StagingConfig(AppConfig):
    """The legacy import's staging table (see :mod:`backend.legacy.staging.models`)."""

    name = "backend.legacy.staging"
    label = "legacy_staging"
    verbose_name = "Legacy import staging"
    default_auto_field = "django.db.models.BigAutoField"
