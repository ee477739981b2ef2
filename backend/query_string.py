"""The rules a query-string parameter's occurrences follow on every surface (FHIR,
JSON:API): :func:`values_of` is the one checker of "given twice" and "given without a
value", with one message for each; the surfaces answer its :class:`QueryStringProblem`
in their own error format (an OperationOutcome, a JSON:API error object with
``source.parameter``).

Why these are refused rather than read one way or another: neither FHIR R4 (search.html,
http.html#parameters) nor JSON:API 1.1 ("Query Parameters") gives a second ``_count``,
``_summary`` or ``sort`` a meaning, so taking either would leave the server to guess which
one counts; a name without a value asks for nothing, and ignoring it would answer
something else than was asked (FHIR R4 search.html#errors: a server refuses what it
cannot process unless the client asked for lenient handling; JSON:API 1.1 "Query
Parameters": 400 for a parameter the server cannot process). Where a spec gives repeats
a meaning (FHIR R4 search.html#combining: ``_include`` repeats, and a search parameter
given twice ANDs), the caller passes ``once=False``.
"""

from __future__ import annotations

from django.http import QueryDict

from backend.errors import UserInputError


class QueryStringProblem(UserInputError):
    """A query-string parameter refused: ``parameter`` (the name as sent) and
    ``message`` (for people, naming the parameter)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter, self.message = parameter, message


def values_of(
    query: QueryDict, name: str, *, once: bool = True, may_be_empty: bool = False
) -> list[str]:
    """The values of ``name`` in ``query`` (a URL's or form's parameters), [] when it is
    absent.

    Raises :class:`QueryStringProblem` when ``once`` and it is given more than once
    (``"sort is given 2 times (code, name); give it once."``), or, unless
    ``may_be_empty``, when a value is empty or only white space (``"sort has no
    value."``).
    """
    values = query.getlist(name)
    if once and len(values) > 1:
        raise QueryStringProblem(
            name, f"{name} is given {len(values)} times ({', '.join(values)}); give it once."
        )
    if not may_be_empty and any(not value.strip() for value in values):
        raise QueryStringProblem(name, f"{name} has no value.")
    return values
