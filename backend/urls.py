"""URLs: ``/graphql`` (the composed schema, GraphiQL in a browser), one federation
subgraph per active module at ``/graphql/<module>``, FHIR R4 at ``/fhir/``, JSON:API at
``/api/``, ``/accounts/`` login, ``/o/`` OAuth2 tokens, ``/admin/``, for operators
``/health/live``, ``/health/ready`` (:mod:`backend.health`) and ``/metrics``
(:mod:`backend.observability`), and the frontend: ``/`` leads to ``/app/``, with
``/favicon.ico`` and the logout page (:mod:`backend.web`)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from backend import web
from backend.graphql.federation import get_subgraph
from backend.graphql.schema import get_schema
from backend.health import LivenessView, ReadinessView
from backend.not_found import not_found
from backend.oauth import oauth2_urlpatterns
from backend.observability import metrics_view, observe
from backend.registry import active_modules

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="admin/login.html"),
        name="login",
    ),
    path("accounts/logout/", web.LogoutView.as_view(), name="logout"),
    path("favicon.ico", web.favicon, name="favicon"),
    path("o/", include((oauth2_urlpatterns(), "oauth2_provider"))),
    path("", web.home, name="home"),
    path(web.FRONTEND_PREFIX, web.frontend, name="frontend"),
    re_path(rf"^{web.FRONTEND_PREFIX}(?P<path>.+)$", web.frontend),
    path("fhir/", include("backend.fhir.urls")),
    path("api/", include("backend.jsonapi.urls")),
    # The composed schema first: the subgraphs read the definitions it leaves in place.
    path(
        "graphql",
        web.GraphQLView.as_view(schema=observe(get_schema(), "graphql")),
        name="graphql",
    ),
    *(
        path(
            f"graphql/{module.label}",
            web.GraphQLView.as_view(schema=observe(get_subgraph(module.label), module.label)),
        )
        for module in active_modules()
    ),
    # Unknown paths of the APIs answer in their own error format: after every real route.
    re_path(r"^(?:graphql|api|fhir)(?:/.*)?$", not_found),
    path("health/live", LivenessView.as_view(), name="health-live"),
    path("health/ready", ReadinessView.as_view(), name="health-ready"),
    path("metrics", metrics_view, name="metrics"),
]

# Outside DEBUG, an unhandled error answers JSON (503 with Retry-After for a database fault).
handler500 = "backend.views.server_error"
