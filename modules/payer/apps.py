from backend import registry


class PayerConfig(registry.ModuleConfig):
    """The payer module: organisations that pay contributions (tblPayer)."""

    name = "modules.payer"
    label = "payer"
    verbose_name = "Payers"
    default_auto_field = "django.db.models.BigAutoField"
    requires = ("location",)

    def ready(self) -> None:
        from backend.versioning import before_delete

        from .services import refuse_location_delete

        before_delete.connect(
            refuse_location_delete,
            sender=self.apps.get_model("location", "Location"),
            dispatch_uid="payer.refuse_location_delete",
        )
