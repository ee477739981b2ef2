"""Weighing a media type by an ``Accept`` header (RFC 9110 §12.5.1), for the surfaces
that negotiate their one answer type (FHIR's JSON, JSON:API's media type)."""

from __future__ import annotations

from django.utils.http import parse_header_parameters


def accept_weight(accept: str, media_type: str, *, exact: bool = False) -> float | None:
    """The weight ``q`` the ``Accept`` header ``accept`` gives ``media_type``
    (``type/subtype``, lower case) by its most specific range that matches: the type
    itself, else ``type/*``, else ``*/*`` (RFC 9110 §12.5.1; ranges equally specific: the
    highest weight); with ``exact``, only a range naming the type itself counts. None when
    no range matches. Parameters other than ``q`` do not count; a ``q`` that is not a
    number from 0 to 1 counts as 0 (§12.4.2)."""
    main = media_type.split("/")[0]
    specificity = {media_type: 2} if exact else {media_type: 2, f"{main}/*": 1, "*/*": 0}
    best: tuple[int, float] | None = None
    for item in accept.split(","):
        if not item.strip():
            continue
        name, params = parse_header_parameters(item)
        rank = specificity.get(name.lower())
        if rank is None:
            continue
        weight = q_value(params.get("q", "1"))
        if best is None or rank > best[0] or (rank == best[0] and weight > best[1]):
            best = (rank, weight)
    return None if best is None else best[1]


def takes(accept: str, media_type: str, *, also: tuple[str, ...] = ()) -> bool:
    """Whether the ``Accept`` header ``accept`` takes an answer of ``media_type``: it
    weighs ``media_type`` above 0 by its most specific range (:func:`accept_weight`: no
    header, ``*/*``, ``type/*`` do; ``media_type;q=0, */*`` does not), or it names one of
    the types ``also`` (``application/json`` for a JSON answer of a more specific type)
    itself with a weight above 0. An origin server may answer a representation the header
    does not list rather than 406 (RFC 9110 §12.5.1); the surfaces do so for the plain
    JSON types their documents are written in."""
    if not accept.strip() or (accept_weight(accept, media_type) or 0) > 0:
        return True
    return any((accept_weight(accept, t, exact=True) or 0) > 0 for t in also)


def q_value(text: str) -> float:
    """A ``q`` parameter's weight: its number from 0 to 1 (RFC 9110 §12.4.2), 0 for
    anything else."""
    try:
        weight = float(text)
    except ValueError:
        return 0.0
    return weight if 0 <= weight <= 1 else 0.0
