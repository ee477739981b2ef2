from backend import registry


class FacilityConfig(registry.ModuleConfig):
    """Health facilities (openIMIS tblHF): the worked example of the module guide."""

    name = "modules.facility"
    label = "facility"
    verbose_name = "Health facilities"
