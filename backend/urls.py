"""URLs: ``/graphql`` (the composed schema, GraphiQL in a browser), one federation
subgraph per active module at ``/graphql/<module>``, ``/accounts/`` login, ``/o/``
OAuth2 tokens, ``/admin/``, and the frontend: ``/`` leads to ``/app/`` (backend.web)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from oauth2_provider import urls as oauth2_urls

from backend import web
from backend.graphql.federation import get_subgraph
from backend.graphql.schema import get_schema
from backend.registry import active_modules

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="admin/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("o/", include(oauth2_urls)),
    path("", web.home, name="home"),
    path(web.FRONTEND_PREFIX, web.frontend, name="frontend"),
    re_path(rf"^{web.FRONTEND_PREFIX}(?P<path>.+)$", web.frontend),
    # The composed schema first: the subgraphs read the definitions it leaves in place.
    path("graphql", web.GraphQLView.as_view(schema=get_schema()), name="graphql"),
    *(
        path(
            f"graphql/{module.label}",
            web.GraphQLView.as_view(schema=get_subgraph(module.label)),
        )
        for module in active_modules()
    ),
]
