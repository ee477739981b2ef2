"""The 404 answer of an unknown path under ``/graphql`` or ``/api``, in that API's format
(a catch-all route after every real one, in DEBUG and in production alike).

A client that mistypes such a path gets an error document it can parse instead of
Django's HTML page: GraphQL clients read ``errors[].extensions.code``
(``NOT_FOUND``, as for an unknown uuid), JSON:API clients an ``errors`` array with
``status`` "404" (JSON:API 1.1, "Error Objects"). ``/fhir/`` answers its own
``OperationOutcome`` (``backend.fhir``); every other path keeps Django's page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from backend.jsonapi import assemble
from backend.registry import active_modules


def _graphql_endpoints() -> str:
    return ", ".join(["/graphql", *(f"/graphql/{m.label}" for m in active_modules())])


def _jsonapi_types() -> str:
    return ", ".join(sorted(assemble().viewsets))


def not_found(request: HttpRequest) -> HttpResponse:
    """404 for ``request``: a GraphQL-shaped JSON answer under ``/graphql``, a JSON:API
    error document under ``/api``. The message names the path and where the API's entry
    points are."""
    path = request.path
    if path.startswith("/graphql"):
        message = f"No GraphQL endpoint at {path}; the endpoints are {_graphql_endpoints()}."
        return JsonResponse(
            {"data": None, "errors": [{"message": message, "extensions": {"code": "NOT_FOUND"}}]},
            status=404,
        )
    error = {
        "status": "404",
        "code": "not_found",
        "title": "Not found",
        "detail": f"No JSON:API resource at {path}; the resource types are "
        f"{_jsonapi_types()} (/api/<type>, /api/<type>/<uuid>; OpenAPI at /api/openapi).",
    }
    return JsonResponse({"errors": [error]}, status=404, content_type="application/vnd.api+json")
