"""Shared by the FHIR and JSON:API tests: their media types, reading a document,
resource validation and bearer tokens."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from oauth2_provider.models import AccessToken, Application

JSONAPI = "application/vnd.api+json"
FHIR_JSON = "application/fhir+json"


def send(client, method: str, url: str, body, **headers):
    """``method`` (``"post"``, ``"put"`` …) ``url`` with ``body`` (a dict as JSON, or text
    as it is) in ``application/fhir+json``, and ``headers``; the response."""
    data = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, method)(url, data, content_type=FHIR_JSON, headers=headers)


def get_document(client, url: str, content_type: str, status: int = 200) -> dict[str, Any]:
    """GET ``url`` with ``client``: the response has ``status`` and exactly the
    Content-Type ``content_type``; returns its decoded JSON body."""
    response = client.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == content_type
    return response.json()


def validated(body: dict[str, Any]) -> dict[str, Any]:
    """Validate ``body`` and every resource in a Bundle's entries against the FHIR R4
    models of fhir.resources (raises pydantic's ValidationError); returns ``body``."""
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    for entry in body.get("entry", ()):
        if "resource" not in entry:  # a history's deletion (request.method DELETE)
            assert entry["request"]["method"] == "DELETE", entry
            continue
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return body


def village(code: str, parent: str) -> dict[str, Any]:
    """A FHIR Location creating the village ``code`` ("Village <code>") below the
    location whose id is ``parent`` (as sent: ``partOf`` is ``Location/<parent>``)."""
    ig = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem"
    return {
        "resourceType": "Location",
        "identifier": [
            {
                "type": {"coding": [{"system": f"{ig}/openimis-identifiers", "code": "Code"}]},
                "value": code,
            }
        ],
        "name": f"Village {code}",
        "physicalType": {"coding": [{"system": f"{ig}/location-type", "code": "V"}]},
        "partOf": {"reference": f"Location/{parent}"},
    }


def bearer_token(owner, scope: str, token: str) -> str:
    """An OAuth2 access token ``token`` with ``scope`` ("read", "write" or both), valid
    for an hour, of a client-credentials application owned by ``owner``."""
    application = Application.objects.create(
        name=f"client of {owner.username}",
        user=owner,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    AccessToken.objects.create(
        application=application,
        token=token,
        scope=scope,
        expires=timezone.now() + datetime.timedelta(hours=1),
    )
    return token
