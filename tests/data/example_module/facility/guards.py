"""The facility module's rule on other modules' rows."""

from backend.errors import FieldError

from .models import HealthFacility


def refuse_location_delete(location) -> list[FieldError]:
    """Delete guard on ``location.Location``: a location with current health facilities
    stays. Returns one ``HAS_FACILITIES`` error, or []."""
    count = HealthFacility.objects.current().filter(location_id=location.pk).count()
    if not count:
        return []
    return [FieldError(None, "HAS_FACILITIES", f"{location} has {count} health facilities.")]
