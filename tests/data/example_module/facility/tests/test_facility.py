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


@pytest.mark.parametrize("known", [True, False])
def test_the_location_argument_needs_the_location_permission(gql_as, district, known):
    """As payers' location filter: refused alike for an existing and an unknown uuid."""
    HealthFacility.objects.create(code="HF9", name="Kep Hospital", location=district)
    key = district.uuid if known else "00000000-0000-4000-8000-00000000dead"
    viewer = gql_as("facility.view_healthfacility")
    result = viewer.post(f'{{ healthFacilities(location: "{key}") {{ totalCount }} }}')
    assert result["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [
        (
            "Permission denied: you need 'location.view_location' to filter health "
            "facilities by location.",
            "FORBIDDEN",
        )
    ]
