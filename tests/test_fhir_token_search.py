"""FHIR R4 token search (search.html#token): ``code`` any system, ``system|code`` that
system only, ``|code`` values without a system, ``system|`` any code of the system."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
LOC_TYPE = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/location-type"
PAYER_TYPE = "urn:openimis-graphql:fhir:CodeSystem:payer-type"
ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"


def test_token_search_honours_the_system(admin, chain):
    def total(url: str) -> int:
        response = admin.get(url)
        assert response.status_code == 200, response.content
        return response.json()["total"]

    assert total("/fhir/Location?identifier=R0D") == 1  # any system
    assert total("/fhir/Location?identifier=|R0D") == 1  # served without a system
    assert total("/fhir/Location?identifier=urn:foo|R0D") == 0
    assert total("/fhir/Location?identifier=urn:foo|") == 0
    assert total(f"/fhir/Location?_id=|{chain['R0'].uuid}") == 1
    assert total(f"/fhir/Location?_id=urn:foo|{chain['R0'].uuid}") == 0
    assert total(f"/fhir/Location?type={LOC_TYPE}|D") == 1
    assert total(f"/fhir/Location?type={LOC_TYPE}|") == 4  # any code of the system
    assert total("/fhir/Location?type=|D") == 0  # the type is served with its system
    assert total(f"/fhir/Organization?type={PAYER_TYPE}|") == 2
    assert total(f"/fhir/Organization?type={ORG_TYPE}|pay") == 2
    assert total(f"/fhir/Organization?type={ORG_TYPE}|G") == 0
    assert total("/fhir/Organization?type=|G") == 0
