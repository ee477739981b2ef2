"""The middleware only a browser's requests need, skipped by a GraphQL request that a
bearer token authenticates (issue 15: the fixed cost of a request).

Sessions, CSRF, the session's user and messages concern requests that carry a session
cookie. A request to a GraphQL endpoint with an ``Authorization: Bearer`` header and no
session cookie is authenticated by its token alone (``backend.views``: the view sets
``request.user``; no cookie, so nothing a cross-site request could ride on), so these
middleware classes pass it straight on (:func:`is_token_request`), its user anonymous
until the view authenticates it, as it would be without a session. Every other request
(a browser's, GraphiQL's, the admin's, a bearer token sent along with a session cookie,
any other path) goes through them as before. The metrics, request logs, security and
CORS headers concern every request: they are not listed here.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest
from django.middleware import csrf

#: The paths of the GraphQL endpoints (the composed schema and each module's subgraph).
GRAPHQL_PATHS = ("/graphql", "/graphql/")


def is_token_request(request: HttpRequest) -> bool:
    """True for a request to a GraphQL endpoint carrying a bearer token and no session
    cookie: the token alone authenticates it."""
    path = request.path_info
    return (
        (path == GRAPHQL_PATHS[0] or path.startswith(GRAPHQL_PATHS[1]))
        and request.META.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer "
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


class BrowserOnly:
    """A middleware mixin: the middleware passes :func:`is_token_request`'s requests on
    untouched."""

    def __call__(self, request: HttpRequest):
        if is_token_request(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(BrowserOnly, sessions.SessionMiddleware):
    """Django's sessions, for requests other than :func:`is_token_request`'s."""


class CsrfViewMiddleware(BrowserOnly, csrf.CsrfViewMiddleware):
    """Django's CSRF protection, for requests other than :func:`is_token_request`'s (the
    GraphQL view checks a session's CSRF token itself)."""


class AuthenticationMiddleware(BrowserOnly, auth.AuthenticationMiddleware):
    """The session's user, for requests other than :func:`is_token_request`'s, whose
    user is anonymous until the view authenticates the token."""

    def __call__(self, request: HttpRequest):
        if is_token_request(request):
            request.user = AnonymousUser()
        return super().__call__(request)


class MessageMiddleware(BrowserOnly, messages.MessageMiddleware):
    """Django's messages, for requests other than :func:`is_token_request`'s."""
