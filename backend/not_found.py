"""The 404 answer of an unknown path under ``/graphql``, ``/api`` or ``/fhir``, in that
API's format (a catch-all route after every real one, in DEBUG and in production alike).

A client that mistypes such a path gets an error document it can parse instead of
Django's HTML page: GraphQL clients read ``errors[].extensions.code``
(``NOT_FOUND``, as for an unknown uuid), JSON:API clients an ``errors`` array with
``status`` "404" (JSON:API 1.1, "Error Objects"), FHIR clients an ``OperationOutcome``
(issue code ``not-found``; FHIR R4 has no interaction at the base URL by GET). Every
other path keeps Django's page. Under ``/api/<type>/`` an id that is no uuid in
canonical form (the URLs take only those) is named as the resource endpoints name an
unknown id.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from backend.fhir.resources import fhir_resources
from backend.fhir.responses import outcome, prettified
from backend.ids import parse_id
from backend.jsonapi import assemble
from backend.registry import active_modules


def _graphql_endpoints() -> str:
    return ", ".join(["/graphql", *(f"/graphql/{m.label}" for m in active_modules())])


def _jsonapi_types() -> str:
    return ", ".join(sorted(assemble().viewsets))


@csrf_exempt  # it changes nothing; a POST there (a bearer client) gets the 404, not a CSRF page
def not_found(request: HttpRequest) -> HttpResponse:
    """404 for ``request``: a GraphQL-shaped JSON answer under ``/graphql``, a JSON:API
    error document under ``/api``, an OperationOutcome under ``/fhir``. The message names
    the path and where the API's entry points are."""
    path = request.path
    if path.startswith("/fhir"):
        types = ", ".join(sorted(fhir_resources()))
        response = outcome(
            404,
            "not-found",
            f"No FHIR interaction at {path}; the resource types are {types} "
            "(/fhir/<type>, /fhir/<type>/<id>; the CapabilityStatement at /fhir/metadata).",
        )
        # _pretty=true, as on every FHIR answer (R4 http.html#parameters)
        return prettified(response) if request.GET.get("_pretty") == "true" else response
    if path.startswith("/graphql"):
        message = f"No GraphQL endpoint at {path}; the endpoints are {_graphql_endpoints()}."
        return JsonResponse(
            {"data": None, "errors": [{"message": message, "extensions": {"code": "NOT_FOUND"}}]},
            status=404,
        )
    detail = (
        f"No JSON:API resource at {path}; the resource types are "
        f"{_jsonapi_types()} (/api/<type>, /api/<type>/<uuid>; OpenAPI at /api/openapi)."
    )
    type_, _, rest = path.removeprefix("/api/").partition("/")
    key = rest.partition("/")[0]
    if key and type_ in assemble().viewsets and parse_id(key) is None:
        # /api/<type>/<id>[/…] whose id no resource can have (backend.ids): named, as the
        # resource endpoints name an unknown one (backend.jsonapi.rows.unknown_id)
        detail = f"No {type_} resource has id {key!r}."
    # the members the resource endpoints' 404s have (DRF-JSON:API's error objects)
    error = {"detail": detail, "status": "404", "code": "not_found"}
    return JsonResponse({"errors": [error]}, status=404, content_type="application/vnd.api+json")
