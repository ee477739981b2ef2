"""Helpers for a module's mapping: references, identifiers, codings, extensions."""

from __future__ import annotations

import uuid
from typing import Any

from backend.fhir.errors import FhirError
from backend.fhir.resources import IDENTIFIER_TYPE_SYSTEM
from backend.ids import is_uuid, parse_id


def reference(resource_type: str, key: uuid.UUID | None) -> dict[str, str] | None:
    """``{"reference": "<type>/<uuid>"}``, or None for None."""
    return None if key is None else {"reference": f"{resource_type}/{key}"}


def parse_reference(
    value: str | None, resource_type: str, expression: str
) -> uuid.UUID | str | None:
    """The uuid of a reference ``"<type>/<uuid>"`` (or a bare uuid in a search value);
    None for None.

    An id is a case-sensitive string (FHIR R4 datatypes.html#id), a resource's the
    canonical spelling of its uuid (:func:`backend.ids.parse_id`): another spelling of a
    uuid (upper case, no hyphens …) is returned as the text it is, an id no resource
    has, which a search matches nothing by and the services answer as an unknown uuid
    (:func:`backend.rights.resolve`). Raises a 422 :class:`FhirError` naming
    ``expression`` when it is another type or no uuid at all.
    """
    if value is None:
        return None
    kind, _, key = value.rpartition("/")
    if kind and kind.rsplit("/", 1)[-1] != resource_type:
        raise FhirError(
            422, "invalid", f"{value!r} is not a reference to a {resource_type}.", expression
        )
    if is_uuid(key):
        return parse_id(key) or key
    raise FhirError(
        422, "invalid", f"{value!r}: the id of a {resource_type} is a uuid.", expression
    )


def identifier(code: str, value: Any) -> dict[str, Any]:
    """An identifier of openIMIS type ``code`` (``UUID``, ``Code``)."""
    return {
        "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": code}]},
        "value": str(value),
    }


def identifier_value(resource: Any, code: str) -> str | None:
    """The value of ``resource``'s first identifier of openIMIS type ``code``, or None."""
    for ident in resource.identifier or ():
        for coding in (ident.type.coding or ()) if ident.type else ():
            if coding.system == IDENTIFIER_TYPE_SYSTEM and coding.code == code:
                return ident.value
    return None


def coding_code(codeables: Any, system: str) -> str | None:
    """The code of the first coding of ``system`` in a CodeableConcept or list of them."""
    items = codeables if isinstance(codeables, list) else [codeables] if codeables else []
    for codeable in items:
        for coding in codeable.coding or ():
            if coding.system == system:
                return coding.code
    return None


def extension_value(resource: Any, url: str, kind: str) -> Any:
    """``value<kind>`` of ``resource``'s extension ``url`` (``kind`` e.g. "Integer"), or
    None when absent."""
    for ext in resource.extension or ():
        if ext.url == url:
            return getattr(ext, f"value{kind}")
    return None
