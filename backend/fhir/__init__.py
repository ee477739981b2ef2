"""FHIR R4 at ``/fhir/``: the contract a module implements to serve its resources.

A module lists :class:`FhirResource` instances in its ``Manifest(fhir=[...])``; the
core (:mod:`backend.fhir.views`) serves, for each, read, vread, instance history, search,
create, update and delete, and lists exactly those in ``GET /fhir/metadata``. A module
never imports another: a reference to another module's resource is its FHIR type and
uuid (``"Location/<uuid>"``), built from the module's own foreign key, and an
:class:`Include` names the target by resource type.

Versions come from the history rows (:mod:`backend.versioning`): version *n* of a
resource is its *n*-th history row in the order of ``validity_to``, and the current row
is version (number of history rows + 1). ``meta.lastUpdated`` is the version's
``validity_from``.

Resources are validated with `fhir.resources <https://pypi.org/project/fhir.resources/>`_
(its ``R4B`` classes, which for the resources served here, Location, Organization,
Bundle, OperationOutcome and CapabilityStatement, have the R4 structure).

The package, by concern: :mod:`~backend.fhir.resources` (the contract),
:mod:`~backend.fhir.elements` (references, identifiers, codings),
:mod:`~backend.fhir.search_params` (search-parameter helpers), :mod:`~backend.fhir.errors`
(FhirError, OperationOutcome issues); the HTTP side: :mod:`~backend.fhir.views`,
:mod:`~backend.fhir.responses`, :mod:`~backend.fhir.versions`,
:mod:`~backend.fhir.search` (the search parameters, read once per search),
:mod:`~backend.fhir.summary` (``_summary``, ``_elements``), :mod:`~backend.fhir.writes`;
:mod:`~backend.fhir.bulk` (NDJSON). Modules import the contract's names from here.
"""

from backend.fhir.elements import (
    coded_value,
    extension_value,
    identifier,
    identifier_values,
    parse_reference,
    reference,
)
from backend.fhir.errors import FhirError, bad_request, fhir_errors
from backend.fhir.resources import (
    IDENTIFIER_TYPE_SYSTEM,
    OPENIMIS_IG,
    PROJECT_BASE,
    FhirResource,
    Include,
    SearchParam,
    Writes,
    fhir_resources,
)
from backend.fhir.search_params import (
    date_param,
    id_q,
    reference_param,
    string_param,
    token_param,
)
from backend.fhir.writable import CODING, Fixed

__all__ = [
    "CODING",
    "IDENTIFIER_TYPE_SYSTEM",
    "OPENIMIS_IG",
    "PROJECT_BASE",
    "FhirError",
    "FhirResource",
    "Fixed",
    "Include",
    "SearchParam",
    "Writes",
    "bad_request",
    "coded_value",
    "date_param",
    "extension_value",
    "fhir_errors",
    "fhir_resources",
    "id_q",
    "identifier",
    "identifier_values",
    "parse_reference",
    "reference",
    "reference_param",
    "string_param",
    "token_param",
]
