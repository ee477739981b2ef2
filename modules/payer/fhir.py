"""The payer module's FHIR R4 resource: payers as ``Organization``.

openIMIS's FHIR module has no payer mapping; this one: ``id`` = the uuid; an identifier
typed ``UUID`` (openIMIS identifier types); ``type`` = HL7's organization type ``pay``
(Payer, http://terminology.hl7.org/CodeSystem/organization-type) with the payer type
(C/D/G/L/O/P) as a second coding from a code system of ours; ``telecom`` phone, fax and
e-mail; ``address.text``; ``active`` false once deleted; the payer's location as the
extension ``…:organization-location`` holding a reference ``Location/<uuid>``, built from
this module's own foreign key (the location module is never imported). The reference is
searchable (``location``, at or below the location) and includable
(``_include=Organization:location``, ``_revinclude=Organization:location`` on Location
searches). Writes go through :mod:`.services`.

FHIR has no empty strings: a phone, fax, e-mail or address stored as ``""`` (legacy
data) is served as absent.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q
from fhir.resources.R4B.organization import Organization

from backend import fhir
from backend.registry import lookup

from . import services
from .models import Payer

ORGANIZATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/organization-type"
PAYER_TYPE_SYSTEM = f"{fhir.PROJECT_BASE}:CodeSystem:payer-type"
LOCATION_EXTENSION = f"{fhir.PROJECT_BASE}:StructureDefinition:organization-location"
#: telecom system -> model field
TELECOM = {"phone": "phone", "fax": "fax", "email": "email"}


def _identifier_q(system: str | None, code: str) -> Q:
    """``identifier=<uuid>``: the payer whose id is ``code`` (another spelling of a uuid
    names none, :func:`backend.fhir.id_q`)."""
    return fhir.id_q("uuid", code)


def _type_q(system: str | None, code: str) -> Q:
    if code == "pay" and system in (None, ORGANIZATION_TYPE_SYSTEM):
        return Q()  # every payer is a payer
    if system in (None, PAYER_TYPE_SYSTEM) and code in Payer.Type.values:
        return Q(type=code)
    return Q(pk__in=[])


def _at_or_below(key: uuid.UUID) -> Q:
    """Payers at the location with this uuid or below it (location's published lookup)."""
    return lookup("location.subtree")("location", key)


class OrganizationResource(fhir.FhirResource):
    resource_type = "Organization"
    model = "payer.Payer"
    view_permission = "payer.view_payer"
    fhir_model = Organization
    documentation = "Payers (openIMIS tblPayer) as organizations of type pay."
    related = ("location",)
    references = {"location": "Location"}
    includes = (fhir.Include("Organization", "location", "Location", "location_id"),)
    sort = {"name": "name", "type": "type"}
    search_params = {
        "identifier": fhir.token_param(_identifier_q, documentation="The payer's uuid."),
        "name": fhir.string_param(
            "name", documentation="The name (starts with; :contains, :exact)."
        ),
        "type": fhir.token_param(
            _type_q,
            system=(ORGANIZATION_TYPE_SYSTEM, PAYER_TYPE_SYSTEM),
            documentation=f"pay ({ORGANIZATION_TYPE_SYSTEM}) or the payer type C, D, G, L, O, "
            f"P ({PAYER_TYPE_SYSTEM}).",
        ),
        "location": fhir.reference_param(
            "Location",
            _at_or_below,
            documentation="The payer's location, or any location below it.",
        ),
    }
    field_paths = {
        "name": "Organization.name",
        "type": "Organization.type",
        "address": "Organization.address",
        "phone": "Organization.telecom",
        "fax": "Organization.telecom",
        "email": "Organization.telecom",
        "location": f"Organization.extension('{LOCATION_EXTENSION}')",
    }

    writes = fhir.Writes(
        create=services.create_payer, update=services.update_payer, delete=services.delete_payer
    )
    writable = {
        "identifier": {"type": {"coding": fhir.CODING}, "value": True},
        "active": fhir.Fixed((True,), "a payer is active while current: DELETE it to end it."),
        "type": {"coding": fhir.CODING},
        "name": True,
        "telecom": {"system": True, "value": True},
        "address": {"text": True},
        "extension": {
            "url": fhir.Fixed((LOCATION_EXTENSION,), "that is the payer's location."),
            "valueReference": {"reference": True},
        },
    }

    def to_fhir(self, row: Payer, resource_id: uuid.UUID) -> dict[str, Any]:
        body: dict[str, Any] = {
            "identifier": [fhir.identifier("UUID", resource_id)],
            "active": not (row.validity_to and row.legacy_id is None),
            "type": [
                {
                    "coding": [
                        {"system": ORGANIZATION_TYPE_SYSTEM, "code": "pay", "display": "Payer"},
                        {
                            "system": PAYER_TYPE_SYSTEM,
                            "code": row.type,
                            "display": Payer.Type(row.type).label,
                        },
                    ]
                }
            ],
            "name": row.name,
        }
        telecom = [
            {"system": system, "value": getattr(row, name)}
            for system, name in TELECOM.items()
            if getattr(row, name)
        ]
        if telecom:
            body["telecom"] = telecom
        if row.address:
            body["address"] = [{"text": row.address}]
        if row.location_id is not None:
            body["extension"] = [
                {
                    "url": LOCATION_EXTENSION,
                    "valueReference": fhir.reference("Location", row.location.uuid),
                }
            ]
        return body

    def from_fhir(
        self, resource: Organization
    ) -> tuple[dict[str, Any], dict[str, uuid.UUID | None]]:
        """Model values and location uuid of a FHIR Organization (the services check them)."""
        payer_type = fhir.coded_value(
            resource.type,
            PAYER_TYPE_SYSTEM,
            dict(Payer.Type.choices),
            "Organization.type",
            alongside={ORGANIZATION_TYPE_SYSTEM: {"pay": "Payer"}},
        )
        telecom: dict[str, str | None] = dict.fromkeys(TELECOM.values())
        for point in resource.telecom or ():
            name = TELECOM.get(point.system)
            if name is None:
                raise fhir.FhirError(
                    422,
                    "invalid",
                    f"telecom system {point.system!r}: a payer has phone, fax and email.",
                    "Organization.telecom",
                )
            if telecom[name] is not None:
                raise fhir.FhirError(
                    422, "invalid", f"A payer has one {point.system}.", "Organization.telecom"
                )
            telecom[name] = point.value
        addresses = resource.address or []
        if len(addresses) > 1:
            raise fhir.FhirError(422, "invalid", "A payer has one address.", "Organization.address")
        # refuses an identifier of another type (it would be lost); the UUID is the id
        fhir.identifier_values(resource, {"UUID": "the id"}, "Organization.identifier")
        location = None
        for ext in resource.extension or ():
            if ext.url == LOCATION_EXTENSION:
                target = ext.valueReference.reference if ext.valueReference else None
                location = fhir.parse_reference(target, "Location", self.field_paths["location"])
        data = {
            "name": resource.name,
            "type": payer_type,
            "address": addresses[0].text if addresses else None,
            **telecom,
        }
        return data, {"location": location}
