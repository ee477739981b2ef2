"""Request bodies, read the same way by every surface (GraphQL, FHIR, JSON:API).

:func:`read_json` (and :func:`read_text`, for a body that is not JSON) refuses a body
above the limit (413) before it is read, and a body that is not UTF-8, not JSON or
nested too deeply for the parser (400), each as a
:class:`BodyProblem`; :func:`input_problem` bounds the decoded values (number, depth,
NUL). A surface answers a :class:`BodyProblem` in its own error format: GraphQL errors
(:mod:`backend.views`), an OperationOutcome (:mod:`backend.fhir`), JSON:API errors (it
is a DRF ``APIException``, which the JSON:API exception handler renders).
:class:`BodyChecked` makes a DRF view refuse a body above the limit before anything
else runs (authentication and its CSRF check included).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import APIException

from backend.graphql.error_logging import LIMIT_EXCEEDED
from backend.json_text import TooDeep, decode

#: Code of a request that cannot be read (not UTF-8, not JSON, no query …).
BAD_REQUEST = "BAD_REQUEST"


class BodyProblem(APIException):
    """A request body refused before any of it is used: ``status`` (413 or 400),
    ``message`` (for people, naming the problem and the setting) and ``code``
    (``LIMIT_EXCEEDED``, ``BAD_REQUEST`` or ``BAD_USER_INPUT``)."""

    def __init__(self, status: int, message: str, code: str):
        super().__init__(message, code.lower())
        self.status_code, self.status, self.message, self.code = status, status, message, code


def body_limit() -> int:
    """The most bytes a request body may hold (``GRAPHQL_MAX_BODY_BYTES``, bounded by
    Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
    return min(settings.GRAPHQL_MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _too_big() -> BodyProblem:
    return BodyProblem(
        413,
        f"The request body is larger than {body_limit():,} bytes (GRAPHQL_MAX_BODY_BYTES).",
        LIMIT_EXCEEDED,
    )


def check_size(request: Any) -> None:
    """Raise a 413 :class:`BodyProblem` when the request declares a body above
    :func:`body_limit` (``Content-Length``); nothing of it is read."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > body_limit():
        raise _too_big()


def read_text(request: Any) -> str:
    """The request body decoded from UTF-8, or a :class:`BodyProblem` (413 above
    :func:`body_limit`, declared or read; 400 not UTF-8)."""
    check_size(request)
    try:
        body = request.body
    except RequestDataTooBig:
        raise _too_big() from None
    if len(body) > body_limit():
        raise _too_big()
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BodyProblem(
            400, f"The request body is not UTF-8 (byte {error.start}).", BAD_REQUEST
        ) from None


def read_json(request: Any) -> Any:
    """The request body decoded from UTF-8 JSON, or a :class:`BodyProblem` (413 above
    :func:`body_limit`, 400 not UTF-8, not JSON, or nested too deeply to parse)."""
    return loads(read_text(request), "The request body")


def loads(text: str, what: str) -> Any:
    """``text`` decoded from JSON; a 400 :class:`BodyProblem` naming ``what`` ("The
    request body") when it is not JSON or nests deeper than the parser can go."""
    try:
        return decode(text)
    except TooDeep:
        raise BodyProblem(400, _too_deep(), LIMIT_EXCEEDED) from None
    except ValueError as error:
        raise BodyProblem(400, f"{what} is not valid JSON. {error}.", BAD_REQUEST) from None


def _too_deep() -> str:
    return (
        f"The request nests lists and objects more than {settings.GRAPHQL_MAX_INPUT_DEPTH} "
        "levels deep (GRAPHQL_MAX_INPUT_DEPTH)."
    )


def query_string_problem(request: Any) -> tuple[str, str] | None:
    """``(parameter, problem)`` when a name or value of ``request``'s query string is no
    UTF-8 text once its percent-escapes are decoded (RFC 3986 §2.5; Django replaces such
    bytes with U+FFFD, so a value would silently become another), else None; the
    parameter is named as far as it can be read."""
    for pair in request.META.get("QUERY_STRING", "").split("&"):
        name, _, value = pair.partition("=")
        for part in (name, value):
            try:
                unquote_to_bytes(part.replace("+", " ")).decode("utf-8")
            except UnicodeDecodeError:
                shown = unquote(name.replace("+", " "), errors="replace")
                return shown, f"{shown}: the percent-escapes do not encode UTF-8 text."
    return None


def input_problem(data: object) -> str | None:
    """Why the decoded JSON ``data`` is refused (NUL, too many values, too deep), or None.

    Walks the values with an explicit stack, so no nesting exhausts the interpreter's
    stack; stops at the first problem. Limits: ``GRAPHQL_MAX_INPUT_VALUES`` values
    (every string, number, list item and object member counts) and
    ``GRAPHQL_MAX_INPUT_DEPTH`` levels of lists and objects.
    """
    max_values, max_depth = settings.GRAPHQL_MAX_INPUT_VALUES, settings.GRAPHQL_MAX_INPUT_DEPTH
    values = 0
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        values += 1
        if values > max_values:
            return (
                f"The request holds more than {max_values:,} values "
                "(GRAPHQL_MAX_INPUT_VALUES): send less at once."
            )
        if isinstance(value, str):
            if "\x00" in value:
                return "The request contains a NUL character (\\u0000), which no field accepts."
            continue
        if isinstance(value, dict):
            children = [item for pair in value.items() for item in pair]
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth >= max_depth:
            return _too_deep()
        stack.extend((child, depth + 1) for child in children)
    return None


class BodyChecked:
    """Mixin of a DRF view: a request declaring a body above :func:`body_limit` is
    refused (413, :class:`BodyProblem`) before authentication or anything else."""

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        check_size(request)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
