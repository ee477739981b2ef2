"""Resource ids are strings (FHIR R4 datatypes.html#id; JSON:API 1.1 "Identification":
``id`` is a string): a resource's id is its uuid in canonical form (lowercase,
hyphenated, RFC 9562 §4), and any other spelling of that uuid (upper case, no hyphens,
braces, ``urn:uuid:``) is an id no resource has, answered exactly as an unknown id on
every interaction and in every reference (``backend/ids.py``)."""

from __future__ import annotations

import json

import pytest

from modules.location.models import Location
from modules.payer.models import Payer
from tests.api_helpers import FHIR_JSON, JSONAPI, validated, village

pytestmark = pytest.mark.django_db
UNKNOWN = "00000000-0000-0000-0000-00000000beef"


def spellings(key) -> list[str]:
    """Other spellings of the uuid ``key`` that :class:`uuid.UUID` reads."""
    text = str(key)
    return [text.upper(), key.hex, key.hex.upper(), f"{{{text}}}", f"urn:uuid:{text}"]


def _village(code: str, parent: str) -> str:
    return json.dumps(village(code, parent))


def _outcome(response, status: int) -> list[dict]:
    assert response.status_code == status, response.content
    body = validated(response.json())
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"]


@pytest.mark.parametrize("index", range(5))
def test_fhir_reads_and_writes_answer_another_spelling_as_an_unknown_id(admin_client, chain, index):
    ward = chain["R0DW"]
    spelled = spellings(ward.uuid)[index]
    not_found = [{"severity": "error", "code": "not-found", "diagnostics": ""}]
    for path in ("", "/_history", "/_history/1"):
        issues = _outcome(admin_client.get(f"/fhir/Location/{spelled}{path}"), 404)
        assert issues == [{**not_found[0], "diagnostics": f"No Location has id {spelled}."}]
    body = _village("R0DW", str(ward.parent.uuid)).replace('"Village R0DW"', '"Renamed"')
    put = admin_client.put(f"/fhir/Location/{spelled}", body, content_type=FHIR_JSON)
    assert _outcome(put, 404) == [{**not_found[0], "diagnostics": f"No Location has id {spelled}."}]
    assert _outcome(admin_client.delete(f"/fhir/Location/{spelled}"), 404)[0]["diagnostics"] == (
        f"No Location has id {spelled}."
    )
    ward.refresh_from_db()
    assert (ward.name, ward.validity_to) == ("Ward 0", None)  # neither renamed nor deleted
    # the canonical id is served
    assert admin_client.get(f"/fhir/Location/{ward.uuid}").json()["id"] == str(ward.uuid)


@pytest.mark.parametrize("index", range(5))
def test_fhir_searches_match_no_resource_by_another_spelling(admin_client, chain, index):
    region = chain["R0"]
    spelled = spellings(region.uuid)[index]
    for url in (
        f"/fhir/Location?_id={spelled}",
        f"/fhir/Location?partof={spelled}",
        f"/fhir/Location?partof=Location/{spelled}",
        f"/fhir/Organization?location={spelled}",
        f"/fhir/Organization?_id={spelled}",
    ):
        body = validated(admin_client.get(url).json())
        assert (body["total"], body["entry"]) == (0, []), url
    # as an unknown id; the canonical id matches
    assert admin_client.get(f"/fhir/Location?partof={UNKNOWN}").json()["total"] == 0
    assert admin_client.get(f"/fhir/Location?partof={region.uuid}").json()["total"] == 1


@pytest.mark.parametrize("index", range(5))
def test_fhir_a_reference_spelled_otherwise_is_an_unknown_reference(admin_client, chain, index):
    ward = chain["R0DW"]
    spelled = spellings(ward.uuid)[index]
    before = Location.objects.count()

    def created(parent: str) -> list[dict]:
        body = _village(f"V{index}", parent)
        return _outcome(admin_client.post("/fhir/Location", body, content_type=FHIR_JSON), 422)

    unknown = created(UNKNOWN)
    assert unknown[0]["diagnostics"] == f"No location has uuid {UNKNOWN}."
    issues = created(spelled)
    assert issues == [{**unknown[0], "diagnostics": f"No location has uuid {spelled}."}]
    assert issues[0]["expression"] == ["Location.partOf"]
    assert Location.objects.count() == before

    extension = "urn:openimis-graphql:fhir:StructureDefinition:organization-location"
    payer = {
        "resourceType": "Organization",
        "name": "Spelled",
        "extension": [{"url": extension, "valueReference": {"reference": f"Location/{spelled}"}}],
    }
    response = admin_client.post("/fhir/Organization", json.dumps(payer), content_type=FHIR_JSON)
    assert _outcome(response, 422)[0]["diagnostics"] == f"No location has uuid {spelled}."
    assert not Payer.objects.filter(name="Spelled").exists()


@pytest.mark.parametrize("index", range(5))
def test_jsonapi_another_spelling_of_an_id_is_an_unknown_id(admin_client, chain, index):
    district = chain["R0D"]
    spelled = spellings(district.uuid)[index]
    for path in ("", "/parent", "/payers"):
        response = admin_client.get(f"/api/locations/{spelled}{path}")
        assert response.status_code == 404, response.content
        assert response["Content-Type"] == JSONAPI
        (error,) = response.json()["errors"]
        assert error["detail"] == f"No locations resource has id {spelled!r}."
    served = admin_client.get(f"/api/locations/{district.uuid}").json()["data"]
    assert served["id"] == str(district.uuid)
