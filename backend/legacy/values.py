"""Legacy values as text: what drivers and JSON give, the datetime literal, the time zone.

Legacy datetimes carry no zone: the legacy server stores its local time, read and
written in ``settings.LEGACY_TIME_ZONE`` (default UTC; openIMIS demo export,
``shared/data/openimis-demo/README.md``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import CommandError


def legacy_time_zone() -> ZoneInfo:
    """``settings.LEGACY_TIME_ZONE`` (default UTC) as a zone; CommandError if unknown."""
    name = getattr(settings, "LEGACY_TIME_ZONE", "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(
            f"LEGACY_TIME_ZONE {name!r} is not a known time zone (e.g. 'Africa/Dar_es_Salaam')."
        ) from None


def legacy_text(value: Any, time_zone: tzinfo) -> str | None:
    """A value as a database driver or a JSON parser gives it -> the legacy text form.

    ``None`` stays ``None`` (SQL NULL); text stays as it is; ``int`` (and ``bool`` as
    ``1``/``0``, SQL Server's ``bit``, as a database driver gives it; a JSON source
    refuses a boolean before, :func:`backend.legacy.files.read_json`), ``Decimal``,
    ``float`` and ``UUID`` become their
    usual text; a naive datetime becomes the legacy literal (:func:`legacy_literal`), an
    aware one is first converted into ``time_zone``. Raises ``TypeError`` for anything
    else (a nested JSON object, bytes).
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return legacy_literal(value, time_zone)
    if isinstance(value, date):
        return legacy_literal(datetime(value.year, value.month, value.day), time_zone)
    raise TypeError(f"a {type(value).__name__} is not a legacy column value")


def legacy_literal(value: datetime, time_zone: tzinfo) -> str:
    """A datetime as the legacy literal ``2017-01-01T00:00:00.000``, in ``time_zone``.

    An aware datetime is converted into ``time_zone`` (the legacy server's local time)
    first; a naive one is taken as already local. Milliseconds are written as three
    digits, or six when the value has finer microseconds (the import reads both).
    """
    if value.tzinfo is not None:
        value = value.astimezone(time_zone).replace(tzinfo=None)
    digits = 3 if value.microsecond % 1000 == 0 else 6
    return value.isoformat(timespec="milliseconds" if digits == 3 else "microseconds")
