"""FHIR R4 date search (search.html#date): a value of any precision, YYYY, YYYY-MM,
YYYY-MM-DD or a dateTime with a zone, is the range of that precision, which the
prefixes compare with (``_lastUpdated``, the core's date parameter)."""

from __future__ import annotations

import pytest

from modules.location.models import Location
from tests.api_helpers import validated

pytestmark = pytest.mark.django_db

WHEN = {
    "R0": "2025-12-31T23:59:59Z",
    "R0D": "2026-01-01T00:00:00Z",
    "R0DW": "2026-12-15T10:00:30.250Z",
    "R0DWV": "2027-01-01T00:00:00Z",
}


@pytest.fixture
def dated(chain):
    for code, moment in WHEN.items():
        Location.objects.filter(pk=chain[code].pk).update(validity_from=moment)
    return chain


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("2026", ["R0D", "R0DW"]),
        ("eq2026", ["R0D", "R0DW"]),
        ("ne2026", ["R0", "R0DWV"]),
        ("gt2026", ["R0DWV"]),
        ("sa2026", ["R0DWV"]),
        ("lt2026", ["R0"]),
        ("eb2026", ["R0"]),
        ("ge2026", ["R0D", "R0DW", "R0DWV"]),
        ("le2026", ["R0", "R0D", "R0DW"]),
        ("2026-12", ["R0DW"]),
        ("ge2026-12", ["R0DW", "R0DWV"]),
        ("le2026-01", ["R0", "R0D"]),
        ("gt2025-12", ["R0D", "R0DW", "R0DWV"]),
        ("2026-12-15", ["R0DW"]),
        ("2026-12-15T10:00Z", ["R0DW"]),
        ("2026-12-15T11:00%2B01:00", ["R0DW"]),
        ("2026-12-15T10:01Z", []),
        ("2026-12-15T10:00:30Z", ["R0DW"]),
        ("2026-12-15T10:00:31Z", []),
        ("2026-12-15T10:00:30.2Z", ["R0DW"]),
        ("2026-12-15T10:00:30.25Z", ["R0DW"]),
        ("2026-12-15T10:00:30.26Z", []),
        ("lt2026-12-15T10:00:30.25Z", ["R0", "R0D"]),
        ("2025-12-31T23:59:59Z", ["R0"]),
    ],
)
def test_last_updated_takes_every_precision_as_its_range(admin, dated, value, codes):
    response = admin.get(f"/fhir/Location?_lastUpdated={value}&_sort=identifier")
    assert response.status_code == 200, response.content
    found = [
        ident["value"]
        for entry in validated(response.json())["entry"]
        for ident in entry["resource"]["identifier"]
        if ident["type"]["coding"][0]["code"] == "Code"
    ]
    assert found == codes


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-1", "'2026-1' is not a date (YYYY, YYYY-MM or YYYY-MM-DD) or a dateTime with "
         "a zone (YYYY-MM-DDThh:mm[:ss[.fff]] and Z or +hh:mm)."),
        ("2026-13", "'2026-13' is not a date or dateTime of the calendar."),
        ("2026-02-30", "'2026-02-30' is not a date or dateTime of the calendar."),
        ("9999", "'9999' is out of range (years 1 to 9999, in UTC)."),
        ("ge9999-12", "'9999-12' is out of range (years 1 to 9999, in UTC)."),
        ("2026-12-15T10:00", "'2026-12-15T10:00': a dateTime needs its time zone (e.g. Z or "
         "+07:00)."),
    ],
)  # fmt: skip
def test_a_date_no_precision_reads_is_a_400_naming_it(admin, dated, value, message):
    response = admin.get(f"/fhir/Location?_lastUpdated={value}")
    assert response.status_code == 400
    (issue,) = validated(response.json())["issue"]
    assert issue["diagnostics"] == f"_lastUpdated={value}: {message}"
