"""Health facilities, each at a location (openIMIS ``tblHF``, reduced to a few columns).

The location is named by its Django label only: this module imports no other module.
"""

from django.db import models

from backend.versioning import VersionedModel


class HealthFacility(VersionedModel):
    """A hospital, health centre or dispensary at a location of the hierarchy."""

    code = models.CharField(max_length=8, help_text="Facility code (HFCode), at most 8.")
    name = models.CharField(max_length=100, help_text="Facility name (HFName), at most 100.")
    location = models.ForeignKey(
        "location.Location",
        on_delete=models.PROTECT,
        related_name="health_facilities",
        help_text="The district the facility is in (LocationId).",
    )

    class Meta:
        db_table = "facility_healthfacility"
        ordering = ["code", "pk"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
