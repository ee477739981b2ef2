"""``GET /fhir/metadata``: the CapabilityStatement of what the active modules serve (FHIR
R4 capabilitystatement.html), validated against fhir.resources' model before it is sent."""

from __future__ import annotations

from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from backend.fhir.resources import FhirResource, fhir_resources
from backend.fhir.responses import FhirView, _check_format, check_parameters, fhir_response
from backend.fhir.search import _revincludes
from backend.fhir.search_params import COMMON_PARAMS

FHIR_VERSION = "4.0.1"
#: The URL parameters of the capability statement (R4 http.html#parameters).
PARAMETERS = ("_format", "_pretty")
#: How searches treat unknown parameters (R4 search.html#errors), for clients to read.
SEARCH_HANDLING = (
    "Searches are strict by default: an unknown search parameter is a 400. "
    "`Prefer: handling=lenient` ignores unknown parameters (left out of the self link, "
    "named in a warning entry); malformed values are refused either way. "
    "`_pretty=true` indents any answer."
)


class MetadataView(FhirView):
    """``GET /fhir/metadata``: the CapabilityStatement of what the active modules serve
    (open to anonymous callers: it holds no data)."""

    def get(self, request):
        _check_format(request)
        check_parameters(request, PARAMETERS, "the capability statement")
        resources = fhir_resources()
        body = {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": timezone.now().date().isoformat(),
            "kind": "instance",
            "fhirVersion": FHIR_VERSION,
            "format": ["application/fhir+json", "json"],
            "implementation": {
                "description": "openIMIS GraphQL backend: FHIR R4 surface",
                "url": request.build_absolute_uri("/fhir"),
            },
            "rest": [
                {
                    "mode": "server",
                    "documentation": SEARCH_HANDLING,
                    "security": {
                        "description": "OAuth2 bearer token (scopes read, write; token "
                        "endpoint /o/token/) or a Django session with its CSRF token."
                    },
                    "resource": [_capabilities(r, resources) for r in resources.values()],
                }
            ],
        }
        CapabilityStatement.model_validate(body)
        return fhir_response(body)


def _capabilities(resource: FhirResource, resources: dict[str, FhirResource]) -> dict:
    params = {**COMMON_PARAMS, **resource.search_params}
    return {
        "type": resource.resource_type,
        "documentation": resource.documentation or None,
        "interaction": [
            {"code": code}
            for code in ("read", "vread", "update", "delete", "history-instance", "create")
        ]
        + [{"code": "search-type"}],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": False,
        "conditionalCreate": False,
        "conditionalUpdate": False,
        # If-None-Match and If-Modified-Since on read and vread (versions.not_modified)
        "conditionalRead": "full-support",
        "conditionalDelete": "not-supported",
        "searchInclude": [i.key for i in resource.includes],
        "searchRevInclude": [i.key for i in _revincludes(resource, resources)],
        "searchParam": [
            {"name": name, "type": param.type, "documentation": param.documentation}
            for name, param in params.items()
        ],
    }
