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
from backend.query_string import QueryStringProblem, values_of
from backend.request_body import (
    BAD_REQUEST,
    BodyProblem,
    check_size,
    input_problem,
    loads,
    read_json,
)

logger = logging.getLogger("backend.graphql")


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


#: The members of a GraphQL request (GraphQL over HTTP, "Request Parameters") and the
#: JSON type each takes when given and not null.
REQUEST_MEMBERS = {"query": str, "operationName": str, "variables": dict, "extensions": dict}


def body_problem(request: HttpRequest) -> tuple[int, str, str] | None:
    """Why the request's GraphQL parameters cannot be processed, as ``(HTTP status,
    message, code)``, or None.

    The body is read as every surface reads it (:func:`backend.request_body.read_json`:
    413 above ``GRAPHQL_MAX_BODY_BYTES`` before it is read; 400 not UTF-8, not JSON, too
    deep) and must hold an object (``{"query": …, "variables": …}``; no batch: a list is
    refused). A GET's parameters are read into the same members
    (:func:`_get_members`). A POST in another content type
    is a 415 naming the types taken (GraphQL over HTTP, "POST": ``application/json``).
    Each member has its JSON type (:func:`member_problem`: a 400 ``BAD_REQUEST``). No
    text may contain the NUL character, which PostgreSQL cannot store or compare; the
    values are bounded in number and depth (:func:`~backend.request_body.input_problem`).
    """
    if request.method == "POST" and request.content_type != "application/json":
        sent = f"'{request.content_type}'" if request.content_type else "none"
        message = (
            f"Content type {sent} is not supported: POST the GraphQL request as JSON "
            "(Content-Type: application/json), or send it as a GET with query, variables "
            "and operationName in the URL."
        )
        return 415, message, BAD_REQUEST
    try:
        if request.method == "POST":
            data = read_json(request)
            if not isinstance(data, dict):
                message = "The request body must be a JSON object with a 'query'."
                return 400, message, BAD_REQUEST
        else:
            check_size(request)
            data = _get_members(request)
    except BodyProblem as problem:
        return problem.status, problem.message, problem.code
    except QueryStringProblem as problem:
        return 400, problem.message, BAD_REQUEST
    problem = member_problem(data)
    if problem is not None:
        return 400, problem, BAD_REQUEST
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


def _get_members(request: HttpRequest) -> dict[str, Any]:
    """A GET's query string as a request's members: each parameter given once
    (:func:`backend.query_string.values_of`, the rule and wording of FHIR and JSON:API:
    ``query is given 2 times (…); give it once.``, a :class:`QueryStringProblem`: the
    server would otherwise pick one), ``variables`` and ``extensions`` decoded from JSON
    (a 400 :class:`BodyProblem` naming the parameter)."""
    data: dict[str, Any] = {}
    for name in request.GET:
        (value,) = values_of(request.GET, name, may_be_empty=True)
        data[name] = loads(value, f"The '{name}' parameter") if name in _JSON_MEMBERS else value
    return data


_JSON_MEMBERS = ("variables", "extensions")


def member_problem(data: dict[str, Any]) -> str | None:
    """Why a member of the GraphQL request ``data`` (a POST body's object, a GET's
    parameters) is refused, or None: each of :data:`REQUEST_MEMBERS` given and not null
    must have its JSON type (GraphQL over HTTP, "Request Parameters": ``query`` and
    ``operationName`` strings, ``variables`` and ``extensions`` maps), else strawberry
    would read a number as a name or fail on it."""
    for name, kind in REQUEST_MEMBERS.items():
        value = data.get(name)
        if value is not None and not isinstance(value, kind):
            wanted = "a string" if kind is str else "an object"
            return f"The GraphQL operation's `{name}` must be {wanted} or null, if provided."
    return None


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
            return error_response(request, error)
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


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's ``handler500`` (outside ``DEBUG``): :func:`error_response` of the
    exception being handled (Django has logged it)."""
    return error_response(request, sys.exc_info()[1], logged=True)


def error_response(
    request: HttpRequest, error: BaseException | None, *, logged: bool = False
) -> HttpResponse:
    """The answer to ``error``, an exception no view answered, on every surface (the
    GraphQL view, FHIR's and JSON:API's handlers, the token endpoint through
    :func:`server_error`), in the format of the API the path is under (as
    :func:`backend.not_found.not_found`): an OperationOutcome under ``/fhir``, a
    JSON:API error document under ``/api``, GraphQL-shaped JSON elsewhere.

    A database fault (:func:`backend.errors.is_database_fault`: unreachable, busy, not
    migrated), raised while authenticating too, is a 503 with ``Retry-After``
    (``RETRY_AFTER_SECONDS``), logged as a warning naming the path and the cause; anything
    else a 500, logged with its traceback unless ``logged`` (README, "Error codes")."""
    from backend.fhir.responses import outcome

    fault = error is not None and is_database_fault(error)
    if fault:
        logger.warning("Database fault answering %s: %s", request.path, error)
    elif not logged:
        logger.error("Unexpected error answering %s", request.path, exc_info=error)
    status, message = (503, RETRY_MESSAGE) if fault else (500, UNEXPECTED_MESSAGE)
    if request.path.startswith("/fhir"):
        response = outcome(status, "transient" if fault else "exception", message)
    elif request.path.startswith("/api"):
        code = "service_unavailable" if fault else "server_error"
        document = {"errors": [{"status": str(status), "code": code, "detail": message}]}
        response = JsonResponse(document, status=status, content_type="application/vnd.api+json")
    else:
        code = SERVICE_UNAVAILABLE if fault else INTERNAL_SERVER_ERROR
        return graphql_error_response(status, message, code)
    if fault:
        response["Retry-After"] = str(settings.RETRY_AFTER_SECONDS)
    return response
