"""Helpers for a module's mapping: references, identifiers, codings, extensions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from backend.fhir.errors import FhirError
from backend.fhir.resources import IDENTIFIER_TYPE_SYSTEM
from backend.ids import is_uuid, parse_id


def reference(resource_type: str, key: uuid.UUID | None) -> dict[str, str] | None:
    """``{"reference": "<type>/<uuid>"}``, or None for None."""
    return None if key is None else {"reference": f"{resource_type}/{key}"}


#: This server's FHIR base URL (``https://host/fhir/``) while a FHIR request is served
#: (:class:`~backend.fhir.responses.FhirView` sets it); None elsewhere (the bulk import).
SERVER_BASE: ContextVar[str | None] = ContextVar("fhir_server_base", default=None)


def parse_reference(
    value: str | None, resource_type: str, expression: str
) -> uuid.UUID | str | None:
    """The uuid of a reference ``"<type>/<uuid>"`` (or a bare uuid in a search value);
    None for None. The one place references are read, in writes and searches alike.

    A reference is relative (``Location/<uuid>``) or absolute on this server's FHIR base
    (:data:`SERVER_BASE` + ``Location/<uuid>``, FHIR R4 references.html#literal: "an
    absolute URL ... that is the same as the server's base is a local reference"). An
    absolute reference to another base (or any absolute reference where no request
    gives the base: the bulk import) is refused: it names a resource of another server,
    which this one does not hold, even if a local resource has the same id.

    An id is a case-sensitive string (FHIR R4 datatypes.html#id), a resource's the
    canonical spelling of its uuid (:func:`backend.ids.parse_id`): another spelling of a
    uuid (upper case, no hyphens …) is returned as the text it is, an id no resource
    has, which a search matches nothing by and the services answer as an unknown uuid
    (:func:`backend.rights.resolve`). Raises a 422 :class:`FhirError` naming
    ``expression`` when it is another type, another server's or no uuid at all.
    """
    if value is None:
        return None
    local = _local_part(value, resource_type, expression)
    kind, _, key = local.rpartition("/")
    if kind and kind != resource_type:
        raise FhirError(
            422, "invalid", f"{value!r} is not a reference to a {resource_type}.", expression
        )
    if is_uuid(key):
        return parse_id(key) or key
    raise FhirError(
        422, "invalid", f"{value!r}: the id of a {resource_type} is a uuid.", expression
    )


def _local_part(value: str, resource_type: str, expression: str) -> str:
    """``value`` without this server's base when it is an absolute reference to it; a
    relative one (or a ``urn:uuid:`` one, no server's: read as the id it spells, none)
    as it is; a 422 naming ``expression`` for another server's."""
    if "://" not in value:  # no server named: relative
        return value
    base = SERVER_BASE.get()
    if base is not None and value[: len(base)].lower() == base.lower():
        return value[len(base) :]
    here = f"{resource_type}/<id>" + ("" if base is None else f" or {base}{resource_type}/<id>")
    raise FhirError(
        422,
        "invalid",
        f"{expression}: {value!r} is not a reference to this server; a reference here "
        f"names a {resource_type} of this server: {here}.",
        expression,
    )


def identifier(code: str, value: Any) -> dict[str, Any]:
    """An identifier of openIMIS type ``code`` (``UUID``, ``Code``)."""
    return {
        "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": code}]},
        "value": str(value),
    }


def identifier_values(
    resource: Any, types: Mapping[str, str], expression: str
) -> dict[str, str | None]:
    """The value of ``resource``'s identifier of each openIMIS type in ``types`` (type ->
    what it holds, e.g. ``{"Code": "the location's code"}``), None for a type not sent.

    Every identifier must carry one type of :data:`IDENTIFIER_TYPE_SYSTEM` among
    ``types`` (codings of other systems beside it are translations): an identifier
    without one (or with two), or a type given twice, is a 422 naming
    ``<expression>[i]`` and the types expected, as the server could not store it."""
    values: dict[str, str | None] = dict.fromkeys(types)
    expected = ", ".join(f'"code": "{code}" for {what}' for code, what in types.items())
    for index, ident in enumerate(resource.identifier or ()):
        where = f"{expression}[{index}]"
        codings = (ident.type.coding or ()) if ident.type else ()
        kinds = {c.code for c in codings if c.system == IDENTIFIER_TYPE_SYSTEM}
        if len(kinds) != 1 or not kinds <= set(types):
            raise FhirError(
                422,
                "invalid",
                f"{where} ({ident.value!r}) has no type this server stores it by: an "
                f"identifier here needs one type coding of {IDENTIFIER_TYPE_SYSTEM} "
                f"({expected}).",
                where,
            )
        (kind,) = kinds
        if values[kind] is not None:
            raise FhirError(
                422, "invalid", f"{where}: a second identifier of type {kind}; give one.", where
            )
        values[kind] = ident.value
    return values


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
