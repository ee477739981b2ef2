"""URLs: ``/graphql`` (the composed schema, GraphiQL in a browser) and ``/admin/``."""

from django.contrib import admin
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from backend.graphql.schema import get_schema

urlpatterns = [
    path("admin/", admin.site.urls),
    # No session authentication yet (read-only API), so CSRF protection has nothing to
    # protect; it is re-enabled for cookie sessions when authentication lands (issue 3).
    path("graphql", csrf_exempt(GraphQLView.as_view(schema=get_schema(), graphql_ide="graphiql"))),
]
