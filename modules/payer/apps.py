from backend import registry


class PayerConfig(registry.ModuleConfig):
    """The payer module: organisations that pay contributions (tblPayer)."""

    name = "modules.payer"
    label = "payer"
    verbose_name = "Payers"
