"""The names of a FHIR search's query string (R4 search.html): the control parameters
the core reads, the type's own search parameters, and what is done with any other name
(:func:`ignored_names`); whole-number control values (:func:`whole_number`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict

from backend.fhir.errors import bad_request
from backend.query_string import values_of

#: Search control parameters the core reads (all others are the type's own).
CONTROL = {
    "_count",
    "_offset",
    "_sort",
    "_total",
    "_include",
    "_revinclude",
    "_format",
    "_pretty",
    "_summary",
    "_elements",
}
#: Control parameters given at most once (a second ``_count`` would leave the server to
#: guess which counts); ``_include``/``_revinclude`` may repeat (R4 search.html#include).
SINGLE = CONTROL - {"_include", "_revinclude"}
#: The only control parameters with a modifier; another (``_include:recurse``, R3's) is
#: an error, as an unknown parameter is.
CONTROL_WITH_MODIFIER = {"_include:iterate", "_revinclude:iterate"}
#: Parameters some clients send that change no match (fhirpy's ``_totalMethod``):
#: ignored with a warning in the bundle; any other unknown one is an error unless the
#: client asks for lenient handling.
IGNORED = {"_totalMethod"}


def ignored_names(
    query: QueryDict, params: Mapping[str, Any], resource_type: str, *, lenient: bool
) -> set[str]:
    """Check every name of ``query`` (a search of ``resource_type``, whose search
    parameters are ``params``) and return the names the search ignores: those of
    :data:`IGNORED`, and under ``lenient`` handling every unknown name (R4
    search.html#errors: ``Prefer: handling=lenient`` ignores unknown parameters,
    ``strict``, this server's default, refuses them).

    Raises a 400 :class:`~backend.fhir.errors.FhirError` for an unknown name (strict), a
    control parameter with a modifier it does not take, and
    :class:`~backend.query_string.QueryStringProblem` for a control parameter given
    twice (but ``_include``, ``_revinclude``) or without a value, lenient or not.
    """
    ignored = set()
    for name in query:
        base, _, modifier = name.partition(":")
        if base in IGNORED:
            ignored.add(name)
        elif base in CONTROL:
            if modifier and name not in CONTROL_WITH_MODIFIER:
                raise bad_request(
                    f"{name}: {base} takes no modifier :{modifier} here "
                    f"(supported: {', '.join(sorted(CONTROL_WITH_MODIFIER))})."
                )
            values_of(query, name, once=base in SINGLE)
        elif base not in params:
            if not lenient:
                raise bad_request(
                    f"Unknown search parameter {name!r} for {resource_type} "
                    f"(supported: {', '.join(sorted(params))})."
                )
            ignored.add(name)
    return ignored


def whole_number(query: QueryDict, name: str, default: int) -> int:
    """The value of ``name`` (``_count``, ``_offset``) as a whole number from 0 to
    999,999,999, ``default`` when absent; a 400 for anything else."""
    text = query.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise bad_request(f"{name}={text!r} is not a whole number from 0 to 999999999.")
    return int(text)
