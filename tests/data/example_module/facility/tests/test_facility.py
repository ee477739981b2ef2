"""The facility module's own tests: its field on Location and its delete guard."""

import pytest
from django.apps import apps

from modules.facility.models import HealthFacility

pytestmark = pytest.mark.django_db


@pytest.fixture
def district():
    locations = apps.get_model("location", "Location").objects
    region = locations.create(code="R9", name="Kampot", type="R")
    return locations.create(code="R9D1", name="Kep", type="D", parent=region)


def test_location_lists_its_facilities(gql, district):
    HealthFacility.objects.create(code="HF9", name="Kep Hospital", location=district)
    data = gql.data(f'{{ location(uuid: "{district.uuid}") {{ healthFacilities {{ name }} }} }}')
    assert data == {"location": {"healthFacilities": [{"name": "Kep Hospital"}]}}


def test_a_location_with_facilities_is_not_deleted(gql, district):
    HealthFacility.objects.create(code="HF9", name="Kep Hospital", location=district)
    data = gql.data(
        f'mutation {{ deleteLocation(input: {{uuid: "{district.uuid}"}}) '
        "{ location { code } errors { code } } }"
    )
    assert data == {"deleteLocation": {"location": None, "errors": [{"code": "HAS_FACILITIES"}]}}
