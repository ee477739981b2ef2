"""JSON text decoded alike by every reader: the HTTP bodies (:mod:`backend.request_body`),
the legacy JSON exports (:mod:`backend.legacy.files`) and the FHIR bulk import
(:mod:`backend.fhir.bulk`).

Python's :func:`json.loads` recurses once per level of nesting, so a document nested
deeper than the interpreter's recursion limit (:func:`sys.getrecursionlimit`, 1,000 by
default: ``[[[[…``) ends in ``RecursionError``, which no reader expected: a crash with a
traceback. :func:`decode` raises :class:`TooDeep` instead, a ``ValueError`` that each
reader reports like any other text it cannot read.
"""

from __future__ import annotations

import json
import sys
from typing import Any


class TooDeep(ValueError):
    """JSON text nested deeper than the parser can follow; the message says so."""

    def __init__(self) -> None:
        super().__init__(
            "arrays and objects nested more deeply than the JSON parser can follow "
            f"(about {sys.getrecursionlimit():,} levels)"
        )


def decode(text: str | bytes, **options: Any) -> Any:
    """``json.loads(text, **options)``; raises :class:`TooDeep` for text nested too
    deeply, ``json.JSONDecodeError`` (a ``ValueError``) for text that is not JSON."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise TooDeep from None


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words, for messages: ``"null"``, ``"an
    object"``, ``"an array"``, ``"a string"``, ``"a number"``, ``"true"`` or ``"false"``
    (never Python's ``None``, ``dict`` or ``NoneType``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"
