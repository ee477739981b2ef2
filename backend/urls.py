"""URLs: ``/graphql`` (the composed schema, GraphiQL in a browser), one federation
subgraph per active module at ``/graphql/<module>`` and ``/admin/``."""

from django.contrib import admin
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from backend.graphql.federation import get_subgraph
from backend.graphql.schema import get_schema
from backend.registry import active_modules


def graphql_view(schema):
    # No session authentication yet (read-only API), so CSRF protection has nothing to
    # protect; it is re-enabled for cookie sessions when authentication lands (issue 3).
    return csrf_exempt(GraphQLView.as_view(schema=schema, graphql_ide="graphiql"))


urlpatterns = [
    path("admin/", admin.site.urls),
    # The composed schema first: the subgraphs read the definitions it leaves in place.
    path("graphql", graphql_view(get_schema())),
    *(
        path(f"graphql/{module.label}", graphql_view(get_subgraph(module.label)))
        for module in active_modules()
    ),
]
