"""URLs: ``/graphql`` (the composed schema, GraphiQL in a browser), one federation
subgraph per active module at ``/graphql/<module>``, FHIR R4 at ``/fhir/``, JSON:API at
``/api/``, ``/accounts/`` login, ``/o/``
OAuth2 tokens and ``/admin/``."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider import urls as oauth2_urls

from backend.graphql.federation import get_subgraph
from backend.graphql.schema import get_schema
from backend.registry import active_modules
from backend.views import AuthenticatedGraphQLView

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="admin/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("o/", include(oauth2_urls)),
    path("fhir/", include("backend.fhir.urls")),
    path("api/", include("backend.jsonapi.urls")),
    # The composed schema first: the subgraphs read the definitions it leaves in place.
    path("graphql", AuthenticatedGraphQLView.as_view(schema=get_schema()), name="graphql"),
    *(
        path(
            f"graphql/{module.label}",
            AuthenticatedGraphQLView.as_view(schema=get_subgraph(module.label)),
        )
        for module in active_modules()
    ),
]
