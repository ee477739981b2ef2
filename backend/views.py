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

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import get_oauthlib_core
from strawberry.django.views import GraphQLView


def _bearer_token(request: HttpRequest) -> str | None:
    kind, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if kind.lower() == "bearer" else None


def _graphql_error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"data": None, "errors": [{"message": message}]}, status=status)


def _contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


def body_problem(request: HttpRequest) -> str | None:
    """Why the request's GraphQL parameters cannot be processed, or None.

    A JSON body must be UTF-8 and hold an object (``{"query": …, "variables": …}``); no
    text may contain the NUL character, which PostgreSQL cannot store or compare.
    """
    if request.method == "POST" and request.content_type == "application/json":
        try:
            data = json.loads(request.body.decode("utf-8"))
        except RequestDataTooBig:
            return (
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} "
                "bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)."
            )
        except UnicodeDecodeError as error:
            return f"The request body is not UTF-8 (byte {error.start})."
        except ValueError:
            return None  # strawberry answers "Unable to parse request body as JSON"
        if not isinstance(data, dict):
            return "The request body must be a JSON object with a 'query'."
    else:
        data = {key: request.GET.getlist(key) for key in request.GET}
    query = data.get("query")
    # A NUL arrives raw, or as the escape \u0000 inside a string literal of the document.
    if _contains_nul(data) or (isinstance(query, str) and "\\u0000" in query):
        return "The request contains a NUL character (\\u0000), which no field accepts."
    return None


def _token_user(request: HttpRequest):
    """The user a valid bearer token acts for, or None.

    A token of the authorization-code or password grant acts for its user; a
    client-credentials token (no user, RFC 6749 §4.4) acts for the user who owns the
    OAuth2 application (a service account), and is refused when the application has none.
    """
    valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
    if not valid:
        return None
    user = oauth_request.user or oauth_request.access_token.application.user
    if user is None or not user.is_active:
        return None
    # the token's scopes ("read", "write") bound what it may do: see permissions.authorize
    request.oauth_scopes = frozenset(oauth_request.access_token.scope.split())
    return user


@method_decorator(csrf_exempt, name="dispatch")
class AuthenticatedGraphQLView(GraphQLView):
    """strawberry's Django view with bearer-token authentication and session CSRF."""

    graphql_ide = "graphiql"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        problem = body_problem(request)
        if problem is not None:
            status = 413 if problem.startswith("The request body is larger") else 400
            return _graphql_error(status, problem)
        if _bearer_token(request) is not None:
            user = _token_user(request)
            if user is None:
                response = _graphql_error(401, "Invalid or expired bearer token.")
                response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
                return response
            request.user = user
        elif request.user.is_authenticated:
            rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if rejected is not None:
                return _graphql_error(
                    403,
                    "CSRF check failed: send the csrftoken cookie's value in an "
                    "X-CSRFToken header, or authenticate with a bearer token.",
                )
            get_token(request)  # sets the csrftoken cookie GraphiQL reads
        return super().dispatch(request, *args, **kwargs)
