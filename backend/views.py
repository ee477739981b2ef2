"""The GraphQL endpoint: authentication by Django session or OAuth2 bearer token.

- ``Authorization: Bearer <token>``: an OAuth2 access token issued by django-oauth-toolkit
  at ``/o/token/`` (scope ``read`` allows queries, ``write`` mutations). A request with
  such a header is authenticated by the token alone (no cookies involved, so no CSRF
  check); an invalid or expired token is a 401.
- Otherwise the Django session (log in at ``/accounts/login/``, which GraphiQL then
  uses). Cookie sessions are vulnerable to cross-site requests, so a logged-in user's
  POST must carry Django's CSRF token (``X-CSRFToken`` header; GraphiQL sends it):
  Django's own check. Anonymous requests carry no privilege and get "Authentication
  required" errors instead.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import get_oauthlib_core
from strawberry.django.views import GraphQLView
from strawberry.types import ExecutionResult

from backend.auth_cache import cached_token_user
from backend.errors import is_database_fault
from backend.graphql import compiler
from backend.graphql.error_logging import (
    BAD_USER_INPUT,
    FORBIDDEN,
    INTERNAL_SERVER_ERROR,
    LIMIT_EXCEEDED,
    RETRY_MESSAGE,
    SERVICE_UNAVAILABLE,
    UNAUTHENTICATED,
    UNEXPECTED_MESSAGE,
    is_retryable,
)

logger = logging.getLogger("backend.graphql")

#: Code of a request the GraphQL layer could not read (malformed JSON, no query …).
BAD_REQUEST = "BAD_REQUEST"


def _bearer_token(request: HttpRequest) -> str | None:
    kind, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if kind.lower() == "bearer" else None


def graphql_error_response(status: int, message: str, code: str) -> JsonResponse:
    """A GraphQL-shaped JSON error answer: ``{"data": null, "errors": [{message,
    extensions: {code}}]}`` with HTTP ``status``; 503 answers carry ``Retry-After``."""
    response = JsonResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]},
        status=status,
    )
    if status == 503:
        response["Retry-After"] = str(settings.RETRY_AFTER_SECONDS)
    return response


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
            return (
                f"The request nests lists and objects more than {max_depth} levels deep "
                "(GRAPHQL_MAX_INPUT_DEPTH)."
            )
        stack.extend((child, depth + 1) for child in children)
    return None


def body_problem(request: HttpRequest) -> tuple[int, str, str] | None:
    """Why the request's GraphQL parameters cannot be processed, as ``(HTTP status,
    message, code)``, or None.

    A body above ``GRAPHQL_MAX_BODY_BYTES`` is refused (413) before it is read or parsed.
    A JSON body must be UTF-8 and hold an object (``{"query": …, "variables": …}``);
    variables sent in a GET's ``variables`` parameter are read the same way. No text
    may contain the NUL character, which PostgreSQL cannot store or compare; the values
    are bounded in number and depth (:func:`input_problem`).
    """
    limit = min(settings.GRAPHQL_MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    too_big = (
        413,
        f"The request body is larger than {limit:,} bytes (GRAPHQL_MAX_BODY_BYTES).",
        LIMIT_EXCEEDED,
    )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:  # refused before it is read
        return too_big
    if request.method == "POST" and request.content_type == "application/json":
        try:
            body = request.body
            if len(body) > limit:
                return too_big
            data = json.loads(body.decode("utf-8"))
        except RequestDataTooBig:
            return too_big
        except UnicodeDecodeError as error:
            return 400, f"The request body is not UTF-8 (byte {error.start}).", BAD_REQUEST
        except RecursionError:
            return 400, _TOO_DEEP, LIMIT_EXCEEDED
        except ValueError:
            return 400, "The request body is not valid JSON.", BAD_REQUEST
        if not isinstance(data, dict):
            return 400, "The request body must be a JSON object with a 'query'.", BAD_REQUEST
    else:
        data = {key: request.GET.getlist(key) for key in request.GET}
        try:
            data["variables"] = [json.loads(v) for v in data.get("variables", ())]
        except RecursionError:
            return 400, _TOO_DEEP, LIMIT_EXCEEDED
        except ValueError:
            return 400, "The 'variables' parameter is not valid JSON.", BAD_REQUEST
    problem = input_problem(data)
    if problem is None:
        query = data.get("query")
        # A NUL also arrives as the escape \u0000 inside a string literal of the document.
        if isinstance(query, str) and "\\u0000" in query:
            problem = "The request contains a NUL character (\\u0000), which no field accepts."
    if problem is not None:
        code = BAD_USER_INPUT if "NUL" in problem else LIMIT_EXCEEDED
        return 400, problem, code
    return None


_TOO_DEEP = "The request nests lists and objects too deeply (GRAPHQL_MAX_INPUT_DEPTH)."


def _verified_token(request: HttpRequest) -> tuple[Any, Any]:
    """``(user, access token)`` of the request's valid bearer token, or ``(None, None)``.

    A token of the authorization-code or password grant acts for its user; a
    client-credentials token (no user, RFC 6749 §4.4) acts for the user who owns the
    OAuth2 application (a service account), and is refused when the application has none.
    An inactive user is refused.
    """
    valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
    if not valid:
        return None, None
    user = oauth_request.user or oauth_request.access_token.application.user
    if user is None or not user.is_active:
        return None, None
    return user, oauth_request.access_token


def _token_user(request: HttpRequest):
    """The user a valid bearer token acts for, or None; sets ``request.oauth_scopes``
    (the token's scopes, "read" and "write", bound what it may do: see
    :func:`backend.permissions.has_permission`). Cached for ``AUTH_CACHE_SECONDS``
    (:mod:`backend.auth_cache`)."""
    return cached_token_user(request, _bearer_token(request) or "", _verified_token)


@method_decorator(csrf_exempt, name="dispatch")
class AuthenticatedGraphQLView(GraphQLView):
    """strawberry's Django view with bearer-token authentication and session CSRF."""

    graphql_ide = "graphiql"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Answer in JSON whatever happens: refused input, authentication, CSRF, a
        transport error, a database fault (503 with ``Retry-After``) or a bug (500)."""
        try:
            response = self._dispatch(request)
        except Exception as error:
            if is_database_fault(error):
                logger.warning("Database fault answering %s: %s", request.path, error)
                return graphql_error_response(503, RETRY_MESSAGE, SERVICE_UNAVAILABLE)
            logger.exception("Unexpected error answering %s", request.path)
            return graphql_error_response(500, UNEXPECTED_MESSAGE, INTERNAL_SERVER_ERROR)
        if getattr(request, "graphql_retryable", False):
            response.status_code = 503
            response["Retry-After"] = str(settings.RETRY_AFTER_SECONDS)
        return response

    def _dispatch(self, request: HttpRequest) -> HttpResponse:
        problem = body_problem(request)
        if problem is not None:
            return graphql_error_response(*problem)
        if _bearer_token(request) is not None:
            user = _token_user(request)
            if user is None:
                response = graphql_error_response(
                    401, "Invalid or expired bearer token.", UNAUTHENTICATED
                )
                response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
                return response
            request.user = user
        elif request.user.is_authenticated:
            rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if rejected is not None:
                return graphql_error_response(
                    403,
                    "CSRF check failed: send the csrftoken cookie's value in an "
                    "X-CSRFToken header, or authenticate with a bearer token.",
                    FORBIDDEN,
                )
            get_token(request)  # sets the csrftoken cookie GraphiQL reads
        setattr(request, compiler.ACCEPTS, True)  # encode_json sends compiled data on
        data = compiler.replay(self.schema, request)  # a read answered a moment ago
        if data is not None:
            return HttpResponse(f'{{"data":{data}}}', content_type="application/json")
        try:
            return self.run(request=request)
        except HTTPException as error:  # strawberry's transport errors, as JSON
            return graphql_error_response(error.status_code, error.reason, BAD_REQUEST)

    def encode_json(self, data: object) -> str:
        """JSON text of the response; ``data`` the SQL compiler built is sent as it is."""
        if isinstance(data, dict) and isinstance(data.get("data"), compiler.CompiledData):
            if len(data) == 1:
                return f'{{"data":{data["data"]}}}'
            data = {**data, "data": json.loads(data["data"])}
        return super().encode_json(data)

    def process_result(self, request: HttpRequest, result: ExecutionResult):
        """The JSON of ``result``; notes a database fault for a 503 (see dispatch)."""
        if is_retryable(result.errors):
            request.graphql_retryable = True
        return super().process_result(request, result)


def server_error(request: HttpRequest) -> JsonResponse:
    """Django's ``handler500`` (outside ``DEBUG``): JSON for any view, 503 with
    ``Retry-After`` when the exception being handled is a database fault."""
    error = sys.exc_info()[1]
    if error is not None and is_database_fault(error):
        return graphql_error_response(503, RETRY_MESSAGE, SERVICE_UNAVAILABLE)
    return graphql_error_response(500, UNEXPECTED_MESSAGE, INTERNAL_SERVER_ERROR)
