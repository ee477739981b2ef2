"""The ``Prefer`` header of a FHIR request (RFC 7240): the ``return`` preference of a
create or update (FHIR R4 http.html#ops) and the ``handling`` preference of a search
(R4 search.html#errors), read by :func:`preference`."""

from __future__ import annotations

from collections.abc import Sequence

from backend.environment import one_of
from backend.fhir.errors import bad_request

#: The values of ``Prefer: return=`` on a create or update (R4 http.html#ops).
PREFER_RETURN = ("minimal", "representation", "OperationOutcome")
#: The values of ``Prefer: handling=`` on a search (R4 search.html#errors); this
#: server's default is ``strict`` (an unknown search parameter is a 400).
PREFER_HANDLING = ("strict", "lenient")
#: Where each preference is defined (named in the refusal of a value).
_SOURCES = {"return": "FHIR R4 http.html#ops", "handling": "FHIR R4 search.html#errors"}


def preference(request, name: str, allowed: Sequence[str]) -> str | None:
    """The value of the preference ``name`` (``return``, ``handling``) of the request's
    ``Prefer`` header, spelled as in ``allowed`` (matched in any case), None without one.

    Another value, or two different ones, is a 400 before anything is read or written
    (other preferences are left alone, RFC 7240 §2); the answer names the preference it
    honoured in ``Preference-Applied`` (RFC 7240 §3, the callers).
    """
    chosen = set()
    named = {value.lower(): value for value in allowed}
    for item in request.headers.get("Prefer", "").split(","):
        key, _, value = item.split(";")[0].partition("=")
        if key.strip().lower() != name:
            continue
        value = value.strip().strip('"')
        if value.lower() not in named:
            listed = one_of([f"{name}={v}" for v in allowed])
            raise bad_request(f"Prefer: {name}={value}: use {listed} ({_SOURCES[name]}).")
        chosen.add(named[value.lower()])
    if len(chosen) > 1:
        raise bad_request(f"Prefer: {name} is given as {' and '.join(sorted(chosen))}; give one.")
    return chosen.pop() if chosen else None
