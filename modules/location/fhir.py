"""The location module's FHIR R4 resource: ``Location``, on openIMIS's FHIR mapping.

openIMIS (``api_fhir_r4``'s LocationConverter and the openIMIS FHIR R4 implementation
guide): ``id`` = the uuid; identifiers typed ``UUID`` and ``Code`` (code system
``openimis-identifiers``); ``physicalType`` from the ``location-type`` code system (R
Region, D District, W Municipality, V Village); ``partOf`` = the parent; ``mode``
``instance``; ``status`` ``active``, ``inactive`` once deleted. The population and family
counts, which openIMIS's mapping leaves out, travel as extensions of ours (so a bulk
export and import keeps them). Writes go through :mod:`.services`.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from django.db.models import Q
from fhir.resources.R4B.location import Location as FhirLocation

from backend.fhir import (
    OPENIMIS_IG,
    PROJECT_BASE,
    FhirError,
    FhirResource,
    Include,
    coding_code,
    extension_value,
    identifier,
    identifier_value,
    kept,
    parse_reference,
    reference,
    reference_param,
    string_param,
    token_param,
)

from . import services
from .models import Location

LOCATION_TYPE_SYSTEM = f"{OPENIMIS_IG}/CodeSystem/location-type"
#: openIMIS's displays of the location types (the implementation guide's code system).
TYPE_DISPLAY = {"R": "Region", "D": "District", "W": "Municipality", "V": "Village"}
#: Extensions of ours for the counts (model field -> extension url), valueInteger.
COUNT_EXTENSIONS = {
    name: f"{PROJECT_BASE}:StructureDefinition:location-{name.replace('_', '-')}"
    for name in services.COUNT_FIELDS
}


def _identifier_q(system: str | None, code: str) -> Q:
    """``identifier=<code or uuid>``: the location's code (ignoring case) or uuid."""
    condition = Q(code__iexact=code)
    with contextlib.suppress(ValueError):
        condition |= Q(uuid=uuid.UUID(code))
    return condition


def _type_q(system: str | None, code: str) -> Q:
    return Q(type=code) if code in TYPE_DISPLAY else Q(pk__in=[])


class LocationResource(FhirResource):
    resource_type = "Location"
    model = "location.Location"
    view_permission = "location.view_location"
    fhir_model = FhirLocation
    documentation = "The openIMIS location hierarchy: regions, districts, municipalities, villages."
    related = ("parent",)
    includes = (Include("Location", "partof", "Location", "parent_id"),)
    sort = {"name": "name", "identifier": "code", "type": "type"}
    search_params = {
        "identifier": token_param(
            _identifier_q, documentation="The location code (any case) or uuid."
        ),
        "name": string_param("name", documentation="The name (starts with; :contains, :exact)."),
        "partof": reference_param(
            "Location", lambda key: Q(parent__uuid=key), documentation="The parent location."
        ),
        "type": token_param(
            _type_q,
            system=LOCATION_TYPE_SYSTEM,
            documentation="The level (physicalType): R, D, W or V.",
        ),
    }
    field_paths = {
        "code": "Location.identifier",
        "name": "Location.name",
        "type": "Location.physicalType",
        "parent": "Location.partOf",
        "newParent": "Location.partOf",
        **{
            camel: f"Location.extension('{COUNT_EXTENSIONS[name]}')"
            for name, camel in services.COUNT_FIELDS.items()
        },
    }

    def to_fhir(self, row: Location, resource_id: uuid.UUID) -> dict[str, Any]:
        body: dict[str, Any] = {
            "identifier": [identifier("UUID", resource_id), identifier("Code", row.code)],
            "status": "inactive" if row.validity_to and row.legacy_id is None else "active",
            "name": row.name,
            "mode": "instance",
            "physicalType": {
                "coding": [
                    {
                        "system": LOCATION_TYPE_SYSTEM,
                        "code": row.type,
                        "display": TYPE_DISPLAY[row.type],
                    }
                ]
            },
        }
        if row.parent_id is not None:
            body["partOf"] = reference("Location", row.parent.uuid)
        extensions = [
            {"url": url, "valueInteger": getattr(row, name)}
            for name, url in COUNT_EXTENSIONS.items()
            if getattr(row, name) is not None
        ]
        if extensions:
            body["extension"] = extensions
        return body

    def _data(self, resource: FhirLocation) -> tuple[dict[str, Any], uuid.UUID | None]:
        """Model values and parent uuid of a FHIR Location (the services check them)."""
        location_type = coding_code(resource.physicalType, LOCATION_TYPE_SYSTEM)
        if location_type is not None and location_type not in TYPE_DISPLAY:
            raise FhirError(
                422,
                "code-invalid",
                f"physicalType {location_type!r} is not R, D, W or V ({LOCATION_TYPE_SYSTEM}).",
                "Location.physicalType",
            )
        data = {
            "code": identifier_value(resource, "Code"),
            "name": resource.name,
            "type": location_type,
            **{
                name: extension_value(resource, url, "Integer")
                for name, url in COUNT_EXTENSIONS.items()
            },
        }
        parent = parse_reference(
            resource.partOf.reference if resource.partOf else None, "Location", "Location.partOf"
        )
        return data, parent

    def create(self, resource: FhirLocation, *, user: Any, key=None, as_of=None) -> Location:
        data, parent = self._data(resource)
        data.update(kept(key, as_of))
        return services.create_location(data, parent=parent, user=user)

    def update(self, key: uuid.UUID, resource: FhirLocation, *, user: Any) -> Location:
        data, parent = self._data(resource)
        parent_row = Location.objects.filter(uuid=parent).first() if parent else None
        if parent is not None and parent_row is None:
            raise FhirError(422, "invalid", f"No location has uuid {parent}.", "Location.partOf")
        changes = {**data, "parent_id": parent_row.pk if parent_row else None}
        return services.update_location(key, changes, user=user)

    def delete(self, key: uuid.UUID, *, user: Any) -> Location:
        return services.delete_location(key, user=user)
