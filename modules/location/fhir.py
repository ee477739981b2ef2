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

import uuid
from typing import Any

from django.db.models import Q
from fhir.resources.R4B.location import Location as FhirLocation

from backend import fhir

from . import services
from .models import Location

LOCATION_TYPE_SYSTEM = f"{fhir.OPENIMIS_IG}/CodeSystem/location-type"
#: openIMIS's displays of the location types (the implementation guide's code system).
TYPE_DISPLAY = {"R": "Region", "D": "District", "W": "Municipality", "V": "Village"}
#: Extensions of ours for the counts (model field -> extension url), valueInteger.
COUNT_EXTENSIONS = {
    name: f"{fhir.PROJECT_BASE}:StructureDefinition:location-{name.replace('_', '-')}"
    for name in services.COUNT_FIELDS
}


#: The identifier types of a Location (openIMIS identifier types) -> what they hold.
IDENTIFIERS = {"UUID": "the id", "Code": "the location's code"}


def _identifier_q(system: str | None, code: str) -> Q:
    """``identifier=<code or uuid>``: the location's code (ignoring case) or uuid (its
    id, as sent: :func:`backend.fhir.id_q`)."""
    return Q(code__iexact=code) | fhir.id_q("uuid", code)


def _type_q(system: str | None, code: str) -> Q:
    return Q(type=code) if code in TYPE_DISPLAY else Q(pk__in=[])


def _update(key: uuid.UUID, changes: dict[str, Any], *, parent: uuid.UUID | None, user: Any):
    """:func:`.services.update_location` with the parent named by uuid (``partOf``), as
    the FHIR update replaces it; ``NOT_FOUND`` (422) when no location ``user`` may read
    has that uuid (:func:`.services.resolve_location`: unknown and outside the user's
    districts alike)."""
    parent_row = services.resolve_location(parent, user)
    changes = {**changes, "parent_id": parent_row.pk if parent_row else None}
    return services.update_location(key, changes, user=user)


class LocationResource(fhir.FhirResource):
    resource_type = "Location"
    model = "location.Location"
    view_permission = "location.view_location"
    fhir_model = FhirLocation
    documentation = "The openIMIS location hierarchy: regions, districts, municipalities, villages."
    related = ("parent",)
    includes = (fhir.Include("Location", "partof", "Location", "parent_id"),)
    sort = {"name": "name", "identifier": "code", "type": "type"}
    search_params = {
        "identifier": fhir.token_param(
            _identifier_q, documentation="The location code (any case) or uuid."
        ),
        "name": fhir.string_param(
            "name", documentation="The name (starts with; :contains, :exact)."
        ),
        "partof": fhir.reference_param(
            "Location", lambda key: Q(parent__uuid=key), documentation="The parent location."
        ),
        "type": fhir.token_param(
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

    writes = fhir.Writes(
        create=services.create_location, update=_update, delete=services.delete_location
    )
    writable = {
        "identifier": {"type": {"coding": fhir.CODING}, "value": True},
        "status": fhir.Fixed(
            ("active",), "a location is active while current: DELETE it to make it inactive."
        ),
        "name": True,
        "mode": fhir.Fixed(("instance",), "a location here is one place (instance)."),
        "physicalType": {"coding": fhir.CODING},
        "partOf": {"reference": True},
        "extension": {
            "url": fhir.Fixed(tuple(COUNT_EXTENSIONS.values()), "those are the location's counts."),
            "valueInteger": True,
        },
    }
    refusals = {
        "HAS_CHILDREN": "over FHIR, delete its children first or move them (PUT each with "
        "another partOf), then delete it; GraphQL's deleteLocation does either in one "
        "step (newParent, descendants).",
        "HAS_PAYERS": "over FHIR, delete them or move them (PUT each Organization with "
        "another location) first, then delete it; GraphQL's deleteLocation does either "
        "in one step (references CASCADE or REASSIGN).",
    }

    def to_fhir(self, row: Location, resource_id: uuid.UUID) -> dict[str, Any]:
        body: dict[str, Any] = {
            "identifier": [fhir.identifier("UUID", resource_id), fhir.identifier("Code", row.code)],
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
            body["partOf"] = fhir.reference("Location", row.parent.uuid)
        extensions = [
            {"url": url, "valueInteger": getattr(row, name)}
            for name, url in COUNT_EXTENSIONS.items()
            if getattr(row, name) is not None
        ]
        if extensions:
            body["extension"] = extensions
        return body

    def from_fhir(
        self, resource: FhirLocation
    ) -> tuple[dict[str, Any], dict[str, uuid.UUID | None]]:
        """Model values and parent uuid of a FHIR Location (the services check them)."""
        location_type = fhir.coded_value(
            resource.physicalType, LOCATION_TYPE_SYSTEM, TYPE_DISPLAY, "Location.physicalType"
        )
        data = {
            "code": fhir.identifier_values(resource, IDENTIFIERS, "Location.identifier")["Code"],
            "name": resource.name,
            "type": location_type,
            **{
                name: fhir.extension_value(resource, url, "Integer")
                for name, url in COUNT_EXTENSIONS.items()
            },
        }
        parent = fhir.parse_reference(
            resource.partOf.reference if resource.partOf else None, "Location", "Location.partOf"
        )
        return data, {"parent": parent}
