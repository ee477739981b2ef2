"""Helpers for a module's search parameters: ``string``, ``token``, ``reference`` and
``date`` parameters (FHIR search rules), each a :class:`SearchParam`."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime

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
    lookup: Callable[[str | None, str], Q], *, documentation: str, system: str | None = None
) -> SearchParam:
    """A ``token`` parameter: ``lookup(system, code)`` gives the condition of one value
    ``[system|]code``; ``system`` (if given) is the only system accepted."""

    def apply(queryset: QuerySet, value: str, modifier: str | None) -> QuerySet:
        if modifier is not None:
            raise bad_request(f"The modifier :{modifier} is not supported on this token.")
        token_system, bar, code = value.rpartition("|")
        if bar and token_system and system is not None and token_system != system:
            return queryset.none()
        return queryset.filter(lookup(token_system if bar else None, code))

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
    (``eq``, ``ne``, ``gt``, ``lt``, ``ge``, ``le``, ``sa``, ``eb``) and a date or a
    datetime with its zone; a date means the whole day (UTC)."""

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


def _date_range(text: str) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants ``[start, end)`` a FHIR date or dateTime value covers, in UTC; a
    400 for text that is neither, a dateTime without its zone, or an instant outside
    the years 1 to 9999 once in UTC (``9999-12-31`` has no end, ``0001-01-01T00:00+05:00``
    no start), or a dateTime finer than a microsecond (:mod:`backend.datetimes`)."""
    problem = sub_microsecond_problem(text)
    if problem:
        raise bad_request(problem)
    try:
        day = parse_date(text) if len(text) == 10 else None
        moment = None if day else parse_datetime(text)
    except ValueError:
        moment = day = None
    try:
        if moment is not None:
            if moment.tzinfo is None:
                raise bad_request(f"{text!r}: a dateTime needs its time zone (e.g. Z or +07:00).")
            moment = moment.astimezone(datetime.UTC)
            return moment, moment + datetime.timedelta(microseconds=1)
        if day is not None:
            start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
            return start, start + datetime.timedelta(days=1)
    except OverflowError:
        raise bad_request(f"{text!r} is out of range (years 1 to 9999, in UTC).") from None
    raise bad_request(f"{text!r} is not a date (YYYY-MM-DD) or a dateTime with a zone.")


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
