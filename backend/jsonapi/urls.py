"""URLs of the JSON:API surface, mounted at ``/api/`` by ``backend.urls``: for each type
``<type>``, ``<type>/<uuid>`` and ``<type>/<uuid>/<relationship>``; ``openapi`` (OpenAPI 3)."""

from django.urls import path
from rest_framework.renderers import JSONOpenAPIRenderer
from rest_framework.schemas import get_schema_view
from rest_framework_json_api.schemas.openapi import SchemaGenerator

from backend.jsonapi import assemble

urlpatterns = [
    route
    for type_, viewset in assemble().viewsets.items()
    for route in (
        path(type_, viewset.as_view({"get": "list"}), name=f"jsonapi-{type_}-list"),
        path(
            f"{type_}/<uuid:uuid>",
            viewset.as_view({"get": "retrieve"}),
            name=f"jsonapi-{type_}-detail",
        ),
        path(
            f"{type_}/<uuid:uuid>/<str:related_field>",
            viewset.as_view({"get": "retrieve_related"}),
            name=f"jsonapi-{type_}-related",
        ),
    )
]
urlpatterns.append(
    path(
        "openapi",
        get_schema_view(
            title="openIMIS JSON:API",
            description="Locations and payers as JSON:API resources (read-only).",
            version="1",
            generator_class=SchemaGenerator,
            renderer_classes=[JSONOpenAPIRenderer],
            public=True,
        ),
        name="jsonapi-openapi",
    )
)
