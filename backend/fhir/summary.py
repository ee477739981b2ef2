"""``_summary`` and ``_elements``: the parts of each resource a client asks for (FHIR R4
search.html#summary and #elements, which apply to reads as well as searches).

:meth:`Elements.from_query` reads and checks both parameters (a 400 naming the parameter
for an unknown value or element, or for both together); :meth:`Elements.apply` cuts a
rendered resource down and marks it with the ``SUBSETTED`` tag (R4: servers SHOULD mark
resources they return subsetted). Which elements are summary or mandatory comes from the
type's fhir.resources model (its ``summary_element_property`` and required fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from backend.fhir.errors import bad_request

#: R4 search.html#summary: the values of ``_summary``.
SUMMARY_VALUES = ("true", "text", "data", "count", "false")
#: The tag of a resource served without some of its elements (R4 search.html#summary).
SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}
#: Elements every subset keeps (R4: "id, meta and the mandatory elements").
ALWAYS = frozenset({"resourceType", "id", "meta"})


def element_names(resource: Any) -> dict[str, tuple[bool, bool]]:
    """The top-level elements of ``resource``'s type, by JSON name -> (summary,
    mandatory), from its fhir.resources model (not the ``_name`` extension holders)."""
    names = {}
    for name, info in resource.fhir_model.model_fields.items():
        json_name = info.alias or name
        if json_name.startswith("_") or json_name == "fhir_comments":
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        names[json_name] = (bool(extra.get("summary_element_property")), info.is_required())
    return names


@dataclass(frozen=True)
class Elements:
    """What to serve of each resource: ``summary`` (one of :data:`SUMMARY_VALUES`) and
    ``elements`` (the names of ``_elements``, or None)."""

    summary: str = "false"
    elements: frozenset[str] | None = None

    @classmethod
    def from_query(cls, query: QueryDict, resource: Any, *, search: bool = True) -> Elements:
        """``_summary`` and ``_elements`` of ``query`` (each given at most once: the
        callers check that) for ``resource``'s type; ``search``: whether
        ``_summary=count`` (a search's total alone) applies. Raises a 400
        :class:`~backend.fhir.errors.FhirError` for an unknown value or element, a list
        with an empty item, or both parameters together."""
        summary = query.get("_summary", "false")
        allowed = SUMMARY_VALUES if search else tuple(v for v in SUMMARY_VALUES if v != "count")
        if summary not in allowed:
            raise bad_request(f"_summary={summary}: use {', '.join(allowed)}.")
        text = query.get("_elements")
        if text is None:
            return cls(summary)
        if summary != "false":
            raise bad_request(f"_elements and _summary={summary}: give one of them.")
        known = element_names(resource)
        asked = text.split(",")
        unknown = [name for name in asked if name not in known and name not in ALWAYS]
        if unknown:
            listed = ", ".join(n for n in known if n not in ALWAYS)
            raise bad_request(
                f"_elements={text}: {resource.resource_type} has no element "
                f"{', '.join(map(repr, unknown))} (elements: {listed})."
            )
        return cls(summary, frozenset(asked))

    @property
    def count_only(self) -> bool:
        """``_summary=count``: a search's total, no resources."""
        return self.summary == "count"

    def apply(self, body: dict[str, Any], resource: Any) -> dict[str, Any]:
        """``body`` (a rendered resource of ``resource``'s type) with only the elements
        asked for, tagged ``SUBSETTED`` when any was left out; ``body`` itself when
        nothing is cut."""
        if self.summary in ("false", "count") and self.elements is None:
            return body
        known = element_names(resource)
        if self.elements is not None:
            keep = ALWAYS | self.elements | {n for n, (_s, required) in known.items() if required}
        elif self.summary == "true":
            keep = ALWAYS | {n for n, (summary, _r) in known.items() if summary}
        elif self.summary == "text":
            keep = ALWAYS | {"text"} | {n for n, (_s, required) in known.items() if required}
        else:  # data: everything but the narrative
            keep = (set(known) | ALWAYS) - {"text"}
        cut = {k: v for k, v in body.items() if k.lstrip("_") in keep}
        if len(cut) == len(body):
            return body
        meta = dict(cut.get("meta") or {})
        meta["tag"] = [*meta.get("tag", ()), SUBSETTED]
        return {**cut, "meta": meta}
