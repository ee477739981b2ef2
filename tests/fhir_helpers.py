"""Shared by the FHIR tests: validate every resource a response holds with fhir.resources."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class


def validated(body: dict[str, Any]) -> dict[str, Any]:
    """Validate ``body`` and every resource in a Bundle's entries against the FHIR R4
    models of fhir.resources (raises pydantic's ValidationError); returns ``body``."""
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    for entry in body.get("entry", ()):
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return body
