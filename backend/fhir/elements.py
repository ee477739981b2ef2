"""Helpers for a module's mapping: references, identifiers, codings, extensions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
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


def coded_value(
    codeables: Any,
    system: str,
    codes: Mapping[str, str],
    expression: str,
    *,
    alongside: Mapping[str, Mapping[str, str]] | None = None,
) -> str | None:
    """The code of ``system`` in a coded element (a CodeableConcept, a list of them, or
    None), one of ``codes`` (code -> display); None when the element holds no coding of
    ``system``.

    The element at ``expression`` may also hold codings of the systems in ``alongside``
    (system -> its codes allowed here, e.g. an Organization's HL7 type ``pay``), and,
    next to a code of ``system``, codings of other systems (translations, FHIR R4
    datatypes.html#CodeableConcept), which are ignored. A coding without a system is
    read as a code of ``system`` (or of ``alongside``, whichever has it).

    Raises a 422 :class:`FhirError` ``code-invalid`` naming ``expression``, the code and
    the codes allowed when a code of ``system`` or of ``alongside`` (or a coding without
    a system) is not one of theirs, when ``system`` is given two different codes, or
    when the element holds codings but none of ``system`` and ``alongside`` (nothing the
    server understands: the value would otherwise be read as absent)."""
    systems = {system: codes, **(alongside or {})}
    items = codeables if isinstance(codeables, list) else [codeables] if codeables else []
    codings = [coding for codeable in items for coding in (codeable.coding or ())]
    found: list[str] = []
    for coding in codings:
        if coding.system is None:
            known = any(coding.code in allowed for allowed in systems.values())
            if not known:
                raise _unknown_code(expression, coding.code, None, systems)
            if coding.code in codes:
                found.append(coding.code)
        elif coding.system in systems:
            if coding.code not in systems[coding.system]:
                raise _unknown_code(expression, coding.code, coding.system, systems)
            if coding.system == system:
                found.append(coding.code)
    if len(set(found)) > 1:
        raise FhirError(
            422,
            "code-invalid",
            f"{expression} gives {len(set(found))} codes of {system} "
            f"({', '.join(sorted(set(found)))}): give one.",
            expression,
        )
    foreign = [c for c in codings if c.system is not None and c.system not in systems]
    if not found and foreign and len(foreign) == len(codings):
        coding = foreign[0]
        raise _unknown_code(expression, coding.code, coding.system, systems)
    return found[0] if found else None


def _unknown_code(
    expression: str, code: Any, system: str | None, systems: Mapping[str, Mapping[str, str]]
) -> FhirError:
    """The refusal of ``code`` (of ``system``, None: a coding without one) at
    ``expression``, listing the codes allowed there, by system."""
    given = f"{code!r}" if system is None else f"{code!r} of {system}"
    allowed = "; ".join(
        f"{', '.join(f'{c} ({display})' for c, display in codes.items())} of {name}"
        for name, codes in systems.items()
    )
    return FhirError(
        422,
        "code-invalid",
        f"{expression}: unknown code {given}. The codes allowed are {allowed}.",
        expression,
    )


def extension_value(resource: Any, url: str, kind: str) -> Any:
    """``value<kind>`` of ``resource``'s extension ``url`` (``kind`` e.g. "Integer"), or
    None when absent."""
    for ext in resource.extension or ():
        if ext.url == url:
            return getattr(ext, f"value{kind}")
    return None
