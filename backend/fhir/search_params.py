"""Helpers for a module's search parameters: ``string``, ``token``, ``reference`` and
``date`` parameters (FHIR search rules), each a :class:`SearchParam`."""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable

from django.db.models import Q, QuerySet

from backend.datetimes import sub_microsecond_problem
from backend.fhir.elements import parse_reference
from backend.fhir.errors import FhirError, bad_request
from backend.fhir.resources import SearchParam
from backend.ids import parse_id


def string_param(*fields: str, documentation: str) -> SearchParam:
    """A ``string`` parameter over ``fields`` (any may match): case-insensitive prefix
    by default (FHIR), ``:contains`` and ``:exact`` (case-sensitive, whole value)."""

    def apply(queryset: QuerySet, value: str, modifier: str | None) -> QuerySet:
        lookup = {None: "istartswith", "contains": "icontains", "exact": "exact"}.get(modifier)
        if lookup is None:
            raise bad_request(f"The modifier :{modifier} is not supported on a string.")
        condition = Q()
        for name in fields:
            condition |= Q(**{f"{name}__{lookup}": value})
        return queryset.filter(condition)

    return SearchParam("string", apply, documentation)


def token_param(
    lookup: Callable[[str | None, str], Q],
    *,
    documentation: str,
    system: str | tuple[str, ...] | None = None,
) -> SearchParam:
    """A ``token`` parameter: ``lookup(system, code)`` gives the condition of one code
    (``system`` None when the value names none, else one of the parameter's).

    ``system``: the code system(s) of the values served (None: they carry no system, as
    the identifiers here, typed but without ``Identifier.system``). Every row has a
    value of each. The value reads as FHIR R4 search.html#token says: ``code`` any
    system; ``system|code`` only that system (nothing when the values served have no
    such system); ``|code`` only values without a system; ``system|`` any code of that
    system."""
    served = (system,) if isinstance(system, str) else tuple(system or ())

    def apply(queryset: QuerySet, value: str, modifier: str | None) -> QuerySet:
        if modifier is not None:
            raise bad_request(f"The modifier :{modifier} is not supported on this token.")
        token_system, bar, code = value.partition("|") if "|" in value else ("", "", value)
        if not bar:
            return queryset.filter(lookup(None, code))
        if token_system == "":  # |code: values without a system
            return queryset.filter(lookup(None, code)) if not served else queryset.none()
        if token_system not in served:
            return queryset.none()
        return queryset.filter(lookup(token_system, code) if code else Q())

    return SearchParam("token", apply, documentation)


def reference_param(
    resource_type: str, condition: Callable[[uuid.UUID], Q], *, documentation: str
) -> SearchParam:
    """A ``reference`` parameter to ``resource_type``: ``<uuid>`` or ``<type>/<uuid>``;
    ``condition(uuid)`` gives the rows it selects (another spelling of a uuid names no
    resource: no row, as an unknown id, :func:`~backend.fhir.elements.parse_reference`).
    Searching by it needs the view permission of ``resource_type`` (the core checks it:
    :class:`SearchParam.target`)."""

    def apply(queryset: QuerySet, value: str, modifier: str | None) -> QuerySet:
        if modifier not in (None, resource_type):
            raise bad_request(f"The modifier :{modifier} is not supported on this reference.")
        try:
            key = parse_reference(value, resource_type, "")
        except FhirError as error:
            raise bad_request(error.message) from None
        if not isinstance(key, uuid.UUID):
            return queryset.none()
        return queryset.filter(condition(key))

    return SearchParam("reference", apply, documentation, target=resource_type)


_DATE_PREFIXES = {"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"}


def date_param(name: str, *, documentation: str) -> SearchParam:
    """A ``date`` parameter over the datetime field ``name``: an optional prefix
    (``eq``, ``ne``, ``gt``, ``lt``, ``ge``, ``le``, ``sa``, ``eb``) and a date
    (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, in UTC) or a dateTime with its zone, each
    the range of its precision (:func:`_date_range`), compared as R4 search.html#prefix
    says for an instant: ``eq`` within it, ``ne`` outside, ``gt``/``sa`` after it,
    ``lt``/``eb`` before it, ``ge`` not before, ``le`` not after."""

    def apply(queryset: QuerySet, value: str, modifier: str | None) -> QuerySet:
        if modifier is not None:
            raise bad_request(f"The modifier :{modifier} is not supported on a date.")
        prefix = value[:2] if value[:2] in _DATE_PREFIXES else "eq"
        text = value[2:] if value[:2] in _DATE_PREFIXES else value
        start, end = _date_range(text)
        ranges = {
            "eq": Q(**{f"{name}__gte": start, f"{name}__lt": end}),
            "ne": ~Q(**{f"{name}__gte": start, f"{name}__lt": end}),
            "gt": Q(**{f"{name}__gte": end}),
            "sa": Q(**{f"{name}__gte": end}),
            "lt": Q(**{f"{name}__lt": start}),
            "eb": Q(**{f"{name}__lt": start}),
            "ge": Q(**{f"{name}__gte": start}),
            "le": Q(**{f"{name}__lt": end}),
        }
        return queryset.filter(ranges[prefix])

    return SearchParam("date", apply, documentation)


#: A FHIR date or dateTime search value (R4 search.html#date, datatypes.html#dateTime):
#: YYYY, YYYY-MM, YYYY-MM-DD, or a dateTime to the minute, second or fraction with a zone.
_DATE = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def _date_range(text: str) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants ``[start, end)`` a FHIR date or dateTime value covers, in UTC: its
    implicit range at the precision given (R4 search.html#date: ``2026`` the year,
    ``2026-12`` the month, ``2026-12-05`` the day, ``…T10:00Z`` the minute, ``…T10:00:30Z``
    the second, a fraction its last digit, at least a microsecond); a date means UTC.

    A 400 for text that is none of these, a dateTime without its zone, or an instant
    outside the years 1 to 9999 once in UTC (``9999-12-31`` has no end,
    ``0001-01-01T00:00+05:00`` no start), or a dateTime finer than a microsecond
    (:mod:`backend.datetimes`: digits past the sixth are taken only as zeros)."""
    problem = sub_microsecond_problem(text)
    if problem:
        raise bad_request(problem)
    match = _DATE.fullmatch(text)
    if match is None:
        raise bad_request(
            f"{text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD) or a dateTime with a "
            "zone (YYYY-MM-DDThh:mm[:ss[.fff]] and Z or +hh:mm)."
        )
    part = match.groupdict()
    if part["hour"] is not None and part["zone"] is None:
        raise bad_request(f"{text!r}: a dateTime needs its time zone (e.g. Z or +07:00).")
    fraction = part["fraction"] or ""
    try:
        start = datetime.datetime(
            int(part["year"]),
            int(part["month"] or 1),
            int(part["day"] or 1),
            int(part["hour"] or 0),
            int(part["minute"] or 0),
            int(part["second"] or 0),
            int(fraction[:6].ljust(6, "0")),
            tzinfo=_zone(part["zone"]),
        )
    except ValueError:
        raise bad_request(f"{text!r} is not a date or dateTime of the calendar.") from None
    try:
        start = start.astimezone(datetime.UTC)
        return start, _end(start, part, fraction)
    except (OverflowError, ValueError):
        raise bad_request(f"{text!r} is out of range (years 1 to 9999, in UTC).") from None


def _zone(zone: str | None) -> datetime.tzinfo:
    """The tzinfo of ``Z`` or ``±hh:mm`` (None: a date, UTC)."""
    if zone in (None, "Z"):
        return datetime.UTC
    sign = -1 if zone[0] == "-" else 1
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    return datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))


def _end(start: datetime.datetime, part: dict, fraction: str) -> datetime.datetime:
    """The end of the range starting at ``start`` at the precision of ``part``."""
    if part["month"] is None:
        return start.replace(year=start.year + 1)
    if part["day"] is None:
        month = start.month % 12 + 1
        return start.replace(year=start.year + (start.month == 12), month=month)
    step = (
        datetime.timedelta(days=1)
        if part["hour"] is None
        else datetime.timedelta(minutes=1)
        if part["second"] is None
        else datetime.timedelta(seconds=1)
        if not fraction
        else datetime.timedelta(microseconds=10 ** max(0, 6 - len(fraction)))
    )
    return start + step


COMMON_PARAMS: dict[str, SearchParam] = {
    "_id": token_param(lambda system, code: id_q("uuid", code), documentation="The id."),
    "_lastUpdated": date_param(
        "validity_from", documentation="When the current version was made (validity_from)."
    ),
}


def id_q(field: str, code: str) -> Q:
    """Rows whose ``field`` is the id ``code`` (:func:`backend.ids.parse_id`: none for
    another spelling of a uuid, as for an unknown one)."""
    key = parse_id(code)
    return Q(pk__in=[]) if key is None else Q(**{field: key})
