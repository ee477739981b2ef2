"""What a write may send: the elements a resource type stores, checked on the body as
sent, so that nothing the server cannot keep is dropped in silence.

A module declares :attr:`~backend.fhir.resources.FhirResource.writable`, a
:data:`Spec`: element name -> ``True`` (stored: the mapping reads it), a nested spec
(an object, or each object of a list: ``{"coding": {...}}``) or :class:`Fixed` (an
element the server derives, taken only with the value it would serve, e.g. a current
Location's ``status`` ``active``). ``resourceType``, ``id`` and ``meta.versionId`` /
``meta.lastUpdated`` (which the server sets, R4 http.html#update) come from the core.

Any other element (``text``, ``Identifier.system``, ``ContactPoint.use``, an extension
of another url, a primitive's ``_element`` …) or another value of a :class:`Fixed` one
is a 422 ``not-supported`` OperationOutcome naming the element (FHIRPath, with its index
in a list) and what is supported (the project rule: bad input is refused, never lost).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

from backend.fhir.errors import FhirError


@dataclass(frozen=True)
class Fixed:
    """An element taken only with one of ``values`` (what the server would serve);
    ``hint`` tells the client how to get another value (e.g. "DELETE it")."""

    values: tuple[Any, ...]
    hint: str


Spec = Mapping[str, Union[bool, Fixed, "Spec"]]

#: The elements of every resource the core reads or sets itself.
CORE: Spec = {"resourceType": True, "id": True, "meta": {"versionId": True, "lastUpdated": True}}
#: A Coding as the mappings read it (``display`` is the code's, served back as the server's).
CODING: Spec = {"system": True, "code": True, "display": True}


def check_writable(data: Mapping[str, Any], spec: Spec, resource_type: str) -> None:
    """Refuse (422, :mod:`module docs <backend.fhir.writable>`) the resource ``data``
    (its JSON, already valid FHIR) when it holds an element ``spec`` (with :data:`CORE`)
    does not store, or a :class:`Fixed` element with another value."""
    _check(data, {**CORE, **spec}, resource_type)


def _check(data: Mapping[str, Any], spec: Spec, path: str) -> None:
    for name, value in data.items():
        element, rule = f"{path}.{name}", spec.get(name)
        if rule is None or rule is False:
            kept = ", ".join(n for n in spec if n != "resourceType")
            raise FhirError(
                422,
                "not-supported",
                f"{element} is not stored by this server (it would be lost); {path} keeps {kept}.",
                element,
            )
        if isinstance(rule, Fixed):
            if value not in rule.values:
                taken = " or ".join(_json(v) for v in rule.values)
                raise FhirError(
                    422,
                    "not-supported",
                    f"{element} {_json(value)} cannot be stored: this server takes {taken} "
                    f"only; {rule.hint}",
                    element,
                )
        elif isinstance(rule, Mapping):
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                if isinstance(item, Mapping):
                    _check(
                        item, rule, f"{element}[{index}]" if isinstance(value, list) else element
                    )


def _json(value: Any) -> str:
    """``value`` as JSON spells it (``true``, ``"active"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def parse_resource(resource: Any, data: Mapping[str, Any]) -> Any:
    """``data`` (a resource's JSON) as a validated instance of ``resource``'s
    fhir.resources model, once every element it holds is one ``resource`` stores
    (:func:`check_writable`). The one parse of a written resource (the FHIR API's
    create and update, the bulk import). Raises ``pydantic.ValidationError`` for what is
    not valid FHIR, then :class:`FhirError` (422) for what would be lost."""
    parsed = resource.fhir_model.model_validate(data)
    check_writable(data, resource.writable, resource.resource_type)
    return parsed
