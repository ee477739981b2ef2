"""Content negotiation of the JSON:API surface by JSON:API 1.1's rules ("Content
Negotiation", jsonapi.org/format/1.1/#content-negotiation-servers), on top of Django REST
framework's matching, which ignores media type parameters.

The server supports no extension and ignores profiles, so an ``Accept`` whose every
``application/vnd.api+json`` carries a parameter other than ``ext`` or ``profile``, or an
``ext`` naming any extension, is a 406. So is an ``Accept`` that weighs the media type
``q=0`` (RFC 9110 §12.5.1: "not acceptable"), by its most specific range (the type
itself, else ``application/*``, else ``*/*``). An ``Accept`` without the JSON:API media
type (``*/*`` say) is negotiated as before. (The surface is read-only, so the 415 rules for a
request body do not arise: writes are 405.)
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.utils.mediatypes import _MediaType

from backend.media_types import accept_weight, q_value

MEDIA_TYPE = "application/vnd.api+json"
#: Parameters JSON:API 1.1 allows on its media type (``q`` is Accept's weight).
ALLOWED_PARAMETERS = frozenset({"ext", "profile", "q"})


def refused_parameters(media_type: _MediaType) -> list[str]:
    """The parameters of a JSON:API ``media_type`` this server refuses, as ``name=value``:
    any but ``ext``/``profile``/``q``, and an ``ext`` naming an extension (none is
    supported)."""
    return [
        f"{name}={value}"
        for name, value in media_type.params.items()
        if name not in ALLOWED_PARAMETERS or (name == "ext" and value.strip('"'))
    ]


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
            raise NotAcceptable(
                f"Accept: {MEDIA_TYPE} only with {', '.join(refused)}; this server answers "
                "the JSON:API media type without extensions and with no parameter but "
                "ext and profile."
            )
        return super().select_renderer(request, renderers, format_suffix)
