"""FHIR errors: :class:`FhirError` (a refusal with its HTTP status and OperationOutcome
issue type) and the OperationOutcome issues of the services' ``ValidationFailed``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pydantic

from backend.errors import FieldError, ValidationFailed
from backend.fhir.resources import PROJECT_BASE

if TYPE_CHECKING:
    from backend.fhir.resources import FhirResource


class FhirError(Exception):
    """A request the server refuses, as an OperationOutcome with an HTTP status.

    ``status``: the HTTP status (400, 404, 409, 410, 412, 415, 422 …); ``code``: the
    OperationOutcome issue type (``invalid``, ``not-found``, ``conflict`` …);
    ``message``: the diagnostics, for people; ``expression``: FHIRPath of the element;
    ``headers``: sent with the answer (a 410's ``ETag``).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        expression: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.expression = status, code, message, expression
        self.headers = headers or {}


def bad_request(message: str, expression: str | None = None) -> FhirError:
    """A 400 ``invalid`` error (a malformed parameter or body)."""
    return FhirError(400, "invalid", message, expression)


def fhir_errors(error: ValidationFailed, resource: FhirResource) -> list[dict[str, Any]]:
    """OperationOutcome issues of a service's ``ValidationFailed``, each naming the
    element (``field_paths``) and keeping the service's stable code in ``details``.

    An error the service gave advice with (:meth:`FieldError.advised`) whose code the
    resource words for FHIR (``refusals``: code -> advice) keeps the service's facts and
    gives the resource's advice instead of the service's, which names what another
    surface can send (GraphQL's ``newParent``) and a FHIR client cannot."""
    return [_issue(e, resource) for e in error.errors]


def _issue(error: FieldError, resource: FhirResource) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "severity": "error",
        "code": "business-rule" if error.code in {"HAS_CHILDREN", "HAS_PAYERS"} else "invalid",
        "details": {"coding": [{"system": f"{PROJECT_BASE}:error-code", "code": error.code}]},
        "diagnostics": error.message,
    }
    advice = resource.refusals.get(error.code)
    if advice and error.facts is not None:
        issue["diagnostics"] = f"{error.facts}; {advice}"
    path = resource.field_paths.get(error.field or "")
    if path:
        issue["expression"] = [path]
    return issue


class _Refused(FhirError):
    """The services refused a write: one OperationOutcome issue per rule broken."""

    def __init__(self, status: int, issues: list[dict[str, Any]]):
        super().__init__(status, "invalid", "; ".join(i["diagnostics"] for i in issues))
        self.issues = issues


def validation_problems(error: pydantic.ValidationError, root: str = "") -> str:
    """The problems fhir.resources found in a resource, ``"<element path>: <message>"``
    joined by ``"; "``; ``root`` names a problem of the whole resource (empty path)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or root}: {e['msg']}" for e in error.errors()
    )
