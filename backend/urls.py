"""URLs: ``/graphql`` (GraphiQL in a browser), ``/accounts/`` login, ``/o/`` OAuth2
tokens, ``/admin/``."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider import urls as oauth2_urls

from backend.graphql.schema import get_schema
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
    path("graphql", AuthenticatedGraphQLView.as_view(schema=get_schema()), name="graphql"),
]
