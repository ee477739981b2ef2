"""Content negotiation of the JSON:API surface by JSON:API 1.1's rules ("Content
Negotiation", jsonapi.org/format/1.1/#content-negotiation-servers), on top of Django REST
framework's matching, which ignores media type parameters.

The server supports no extension and ignores profiles, so an ``Accept`` whose every
``application/vnd.api+json`` carries a parameter other than ``ext`` or ``profile``, or an
``ext`` naming any extension, is a 406. So is an ``Accept`` that weighs the media type
``q=0`` (RFC 9110 §12.5.1: "not acceptable"), by its most specific range (the type
itself, else ``application/*``, else ``*/*``). An ``Accept`` without the JSON:API media
type is answered the document when it takes it (:func:`backend.media_types.takes`: ``*/*``,
``application/*``, or the plain JSON type ``application/json`` named with a weight above
0), in the JSON:API media type, which JSON:API 1.1 requires of every response document
("Servers MUST send all JSON:API data in response documents with the header
Content-Type: application/vnd.api+json"); JSON:API 1.1 asks a 406 only for its own media
type's parameters, and RFC 9110 §12.5.1 lets a server answer a type the header does not
list rather than 406. Any other ``Accept`` (``text/html``) is a 406 naming the types
served. (The surface is read-only, so the 415 rules for a request body do not arise:
writes are 405.)
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.utils.mediatypes import _MediaType

from backend.media_types import accept_weight, q_value, takes

MEDIA_TYPE = "application/vnd.api+json"
#: Parameters JSON:API 1.1 allows on its media type (``q`` is Accept's weight).
ALLOWED_PARAMETERS = frozenset({"ext", "profile", "q"})
#: Types a client may ask for to be answered the JSON:API document (it is JSON).
PLAIN_JSON = ("application/json",)


def refused_parameters(media_type: _MediaType) -> list[str]:
    """The parameters of a JSON:API ``media_type`` this server refuses, as ``name=value``:
    any but ``ext``/``profile``/``q``, and an ``ext`` naming an extension (none is
    supported)."""
    return [
        f"{name}={value}"
        for name, value in media_type.params.items()
        if name not in ALLOWED_PARAMETERS or (name == "ext" and value.strip('"'))
    ]


def parameters_refusal(refused: list[str]) -> str:
    """The 406 message of an ``Accept`` whose every JSON:API media type carries the
    ``refused`` parameters (``name=value``): which parameter is not allowed and why
    (JSON:API 1.1, "Content Negotiation": a parameter other than ``ext`` and ``profile``
    makes the media type unacceptable; an ``ext`` names an extension, and this server
    supports none), and what to send instead."""
    extensions = [p for p in refused if p.startswith("ext=")]
    others = [p for p in refused if not p.startswith("ext=")]
    reasons = []
    if others:
        reasons.append(
            f"JSON:API allows no parameter on its media type but ext and profile, "
            f"so {', '.join(others)} is not allowed"
        )
    if extensions:
        reasons.append(f"this server supports no extension ({', '.join(extensions)})")
    return (
        f"Accept: {MEDIA_TYPE} with {', '.join(refused)} is not acceptable: "
        f"{'; '.join(reasons)}. Send Accept: {MEDIA_TYPE} without "
        f"{'it' if len(refused) == 1 else 'them'} (a profile may stay)."
    )


class JsonApiNegotiation(DefaultContentNegotiation):
    """:class:`DefaultContentNegotiation` plus JSON:API 1.1's 406 (module doc)."""

    def select_renderer(self, request: Any, renderers: list, format_suffix: Any = None) -> Any:
        header = request.META.get("HTTP_ACCEPT", "")
        accept = [_MediaType(item) for item in header.split(",") if item.strip()]
        weight = accept_weight(header, MEDIA_TYPE)  # None: DRF answers 406 by its own rules
        if accept and weight is not None and weight <= 0:
            raise NotAcceptable(
                f"Accept: {header} weighs {MEDIA_TYPE} q=0 (not acceptable), the only media "
                "type this server answers."
            )
        refusals = [
            refused_parameters(media_type)
            for media_type in accept
            if f"{media_type.main_type}/{media_type.sub_type}" == MEDIA_TYPE
            and q_value(media_type.params.get("q", "1")) > 0
        ]
        if refusals and all(refusals):
            refused = sorted({parameter for found in refusals for parameter in found})
            raise NotAcceptable(parameters_refusal(refused))
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            if not takes(header, MEDIA_TYPE, also=PLAIN_JSON):
                raise NotAcceptable(
                    f"Accept: {header}: this server answers {MEDIA_TYPE} (also to a client "
                    f"asking for {', '.join(PLAIN_JSON)})."
                ) from None
        renderer = renderers[0]  # JSON:API's (the OpenAPI view's: its own JSON)
        return renderer, renderer.media_type
