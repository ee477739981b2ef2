from backend import registry


class LocationConfig(registry.ModuleConfig):
    """The location module: the openIMIS location hierarchy (tblLocations)."""

    name = "modules.location"
    label = "location"
    verbose_name = "Locations"
