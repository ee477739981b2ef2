"""The legacy time zone the imported data were read in, remembered and enforced.

Legacy datetimes carry no zone; ``import_legacy`` reads them in ``LEGACY_TIME_ZONE`` and
stores absolute times, ``export_legacy`` writes them back in it. Read the same export in
another zone and every datetime lands at another instant: a rerun would "update" every
row and keep its old values as history rows that never were, and an export would shift
every date. So the first import that stores rows records its zone
(:class:`~backend.legacy.staging.models.RecordedTimeZone`, :func:`record_time_zone`), and
both commands refuse a run in another zone before reading or writing anything
(:func:`check_time_zone`), unless the operator says ``--time-zone-change``.

A database holding imported rows but no recorded zone (imported before the zone was
recorded, or after ``migrate legacy_staging zero``) is refused alike: the zone of those
rows is unknown, so the operator states it with ``--time-zone-change``. Zones are
compared by name (``UTC`` and ``Etc/UTC`` count as different: rename deliberately).
Changes made through GraphQL, FHIR or JSON:API carry aware datetimes and are unaffected.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.management.base import CommandError
from django.utils import timezone

from backend.legacy.staging.models import RecordedTimeZone
from backend.legacy.tables import LegacyTable

#: The option of both commands that lets a run go on in another zone than the recorded one.
OPTION = "--time-zone-change"

#: What each command would do in another zone, and what the option then does.
EFFECTS = {
    "import_legacy": (
        "read every legacy datetime at another instant, shifted by the difference between "
        "the zones, so rows that did not change would be updated and their old values kept "
        "as history rows",
        "to re-read the data in the new zone and record it",
    ),
    "export_legacy": (
        "write every date shifted by the difference between the zones, so the files would "
        "not be the legacy data that were imported",
        "to write the dates in the new zone anyway",
    ),
}


def recorded_time_zone() -> str | None:
    """The name of the zone the imported data were read in, or None when none is recorded."""
    return RecordedTimeZone.objects.filter(pk=1).values_list("name", flat=True).first()


def check_time_zone(
    time_zone: ZoneInfo, tables: list[LegacyTable], command: str, *, change: bool = False
) -> None:
    """Refuse a run of ``command`` (``"import_legacy"`` or ``"export_legacy"``) reading or
    writing legacy datetimes in ``time_zone`` when the database's data were read in
    another zone.

    Inputs: ``time_zone`` (``LEGACY_TIME_ZONE``), the active ``tables`` (whose rows
    count as imported when they carry a legacy ``AuditUserId``), ``change`` (the
    operator's ``--time-zone-change``: no refusal). Output: None. Raises CommandError,
    naming both zones, what the run would do and how to go on, when a zone is recorded
    and differs, or when none is and imported rows exist. Reads only; call it before
    anything is read or written.
    """
    if change:
        return
    wanted = time_zone.key
    recorded = recorded_time_zone()
    if recorded == wanted:
        return
    effect, option_does = EFFECTS[command]
    would = f"{command} in {wanted!r} would {effect}"
    if recorded is None:
        example = _imported_row(tables)
        if example is None:
            return  # nothing imported yet: the first import records its zone
        would = f"If they were read in another zone, {would}"
        known = (
            f"This database holds imported rows ({example}) but no record of the legacy "
            f"time zone they were read in (imported before the zone was recorded)"
        )
        advice = (
            f"If they were read in {wanted!r}, run again with {OPTION} (an import then "
            f"records it); if in another zone, set LEGACY_TIME_ZONE to it and run with "
            f"{OPTION}."
        )
    else:
        known = f"The legacy data in this database were read in time zone {recorded!r}"
        advice = (
            f"Set LEGACY_TIME_ZONE={recorded} to work in the zone of the data; or, if you "
            f"mean to change the zone, run with {OPTION} {option_does}"
            + (", or import into an empty database." if command == "import_legacy" else ".")
        )
    raise CommandError(
        f"{known}; LEGACY_TIME_ZONE is {wanted!r}. {would}. Nothing was read or written. {advice}"
    )


def record_time_zone(time_zone: ZoneInfo) -> None:
    """Remember ``time_zone`` as the zone of the imported data (the one row, created or
    replaced; left as it is when it names that zone already, keeping when it was first
    recorded). Call it inside the import's transaction, once rows are stored, so a
    refused or rolled-back run records nothing. Output: None."""
    if recorded_time_zone() == time_zone.key:
        return
    RecordedTimeZone.objects.update_or_create(
        pk=1, defaults={"name": time_zone.key, "recorded_at": timezone.now()}
    )


def _imported_row(tables: list[LegacyTable]) -> str | None:
    """``"tblLocations LocationId 1"`` for the first row of ``tables`` that came from an
    import (a legacy ``AuditUserId``), or None when there is none."""
    for table in tables:
        model = apps.get_model(table.model)
        if not any(f.name == "legacy_audit_user_id" for f in model._meta.concrete_fields):
            continue
        rows = model._base_manager.filter(legacy_audit_user_id__isnull=False)
        pk = rows.order_by("pk").values_list("pk", flat=True).first()
        if pk is not None:
            return f"{table.name} {table.id_column} {pk}"
    return None
