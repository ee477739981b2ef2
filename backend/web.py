"""The browser side: the modular frontend and GraphiQL, served on the API's origin.

Both are built by Vite from ``frontend/`` (``make frontend``: ``npm ci`` from the lock
file, then ``npm run build``) into ``frontend/dist``, which Django's staticfiles serves
under ``STATIC_URL`` + ``frontend/`` (``STATICFILES_DIRS``); django-vite reads Vite's
manifest to link the hashed files. Nothing is loaded from another host.

- ``GET /`` redirects to ``/app/``; ``/app/…`` needs a logged-in session (else the login
  page, then back) and answers the shell's page for every path below it (the shell routes
  in the browser).
- ``GET /graphql`` from a browser answers GraphiQL (:class:`GraphQLView`).
- ``GET /accounts/logout/`` (a user typing the URL) answers a page with a "Log out"
  button (:class:`LogoutView`); only its POST, with the CSRF token, logs out, so no link
  on another site can log a user out.
- ``GET /favicon.ico``: the icon (:func:`favicon`), which browsers ask for on every page
  without one (the login page), instead of a 404.

Each page carries, as JSON in ``<script id="openimis-config">`` (:func:`shell_config`),
the active modules (``OPENIMIS_MODULES``: the shell activates the frontend module folders
of the same names), the user and the CSRF token its POSTs send in ``X-CSRFToken``.
When the build is missing, both pages answer 503 saying how to build it.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django_vite.core.exceptions import DjangoViteAssetNotFoundError

from backend.registry import active_modules
from backend.text import FILTER_TEXT_LIMIT
from backend.views import AuthenticatedGraphQLView

#: Where the shell lives; every path below it answers the shell's page.
FRONTEND_PREFIX = "app/"

NOT_BUILT = (
    "The frontend is not built: run `make frontend` (npm ci and npm run build in "
    "frontend/), then reload. ({error})"
)


def shell_config(request: HttpRequest) -> dict:
    """What the browser side needs from the server, as JSON-ready data.

    ``modules``: labels of the active modules, in ``OPENIMIS_MODULES`` order;
    ``user``: ``{"username", "permissions"}`` (Django permission names such as
    ``"location.add_location"``, sorted; empty for an anonymous user); ``csrfToken``;
    ``graphqlUrl``, ``graphiqlUrl``, ``logoutUrl``, ``loginUrl``: paths on this server (the
    shell sends a user whose session ended to ``loginUrl?next=<the page>``); ``limits``:
    ``filterText``, the most characters a filter's text takes
    (:data:`~backend.text.FILTER_TEXT_LIMIT`: the search boxes' ``maxLength``).
    """
    user = request.user
    return {
        "modules": [module.label for module in active_modules()],
        "graphqlUrl": reverse("graphql"),
        "graphiqlUrl": reverse("graphql"),
        "logoutUrl": reverse("logout"),
        "loginUrl": reverse("login"),
        "csrfToken": get_token(request),
        "limits": {"filterText": FILTER_TEXT_LIMIT},
        "user": {
            "username": user.get_username() if user.is_authenticated else "",
            "permissions": sorted(user.get_all_permissions()) if user.is_authenticated else [],
        },
    }


def _page(request: HttpRequest, template: str) -> HttpResponse:
    try:
        content = render_to_string(template, {"config": shell_config(request)}, request)
    except DjangoViteAssetNotFoundError as error:
        return HttpResponse(
            NOT_BUILT.format(error=error), status=503, content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(content)


def home(request: HttpRequest) -> HttpResponse:
    """``GET /``: to the frontend."""
    return redirect("frontend")


@login_required
def frontend(request: HttpRequest, path: str = "") -> HttpResponse:
    """The shell's page, for ``/app/`` and every path below it (client-side routes)."""
    return _page(request, "frontend/shell.html")


class GraphQLView(AuthenticatedGraphQLView):
    """The GraphQL endpoint, whose browser page is GraphiQL from the server's own files."""

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        return _page(request, "frontend/graphiql.html")


class LogoutView(auth_views.LogoutView):
    """Django's LogoutView (POST logs out), whose GET answers a page with the button
    that POSTs, rather than 405: logging out on a GET would let any page log the user out."""

    http_method_names = ["get", "head", "post", "options"]

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return render(request, "accounts/logout.html")


#: The icon: the openIMIS blue square with a white cross, in SVG (no file to build).
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#0b4f6c"/>'
    '<path d="M6.5 3h3v3.5H13v3H9.5V13h-3V9.5H3v-3h3.5z" fill="#fff"/></svg>'
)


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """``GET /favicon.ico``: :data:`FAVICON`."""
    return HttpResponse(FAVICON, content_type="image/svg+xml")
