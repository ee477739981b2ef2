"""Date-times a client sends as text: never more precise than what is kept.

Python, PostgreSQL and SQLite keep microseconds, so a time read from a text keeps six
fractional-second digits. A text with more (SQL Server's ``datetime2(7)``, .NET's ``o``
format: 100 ns) is taken when every digit past the sixth is a zero (the same instant,
``…33.1234560Z``) and refused otherwise, with a message naming the problem: cutting the
digits off would make it another instant without saying so. Every surface reads its
date-times through :func:`sub_microsecond_problem`: GraphQL's ``DateTime`` scalar
(:data:`backend.graphql.schema.DATETIME_SCALAR`), FHIR's date search parameters and the
admin's opened version (README "API conventions"). The legacy import keeps its own rule
(it cuts the 7th digit and counts every time it does).
"""

from __future__ import annotations

import re

#: A fraction of a second with digits past the sixth (``.`` or ``,``, as ISO 8601 allows).
_PAST_MICROSECONDS = re.compile(r"[.,]\d{6}(\d+)")


def sub_microsecond_problem(text: str) -> str | None:
    """Why the date-time ``text`` cannot be read without losing part of it, or None.

    None when its fraction of a second has at most six digits, or only zeros past the
    sixth. Otherwise the message, e.g. ``"2026-01-31T08:15:42.1234567Z has 7
    fractional-second digits: at most 6 (microseconds) are kept; round it to the
    microsecond."``; the text itself is not parsed here (the caller's parser refuses
    what is no date-time)."""
    match = _PAST_MICROSECONDS.search(text)
    if match is None or not match.group(1).strip("0"):
        return None
    digits = 6 + len(match.group(1))
    return (
        f"{text} has {digits} fractional-second digits: at most 6 (microseconds) are kept; "
        "round it to the microsecond."
    )
