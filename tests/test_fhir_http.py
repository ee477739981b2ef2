"""FHIR R4's HTTP rules for versions (R4 http.html): an update names its resource in the
body too (#update), a delete is a version of its own (#delete, #history, #vread), and
reads are conditional on the version's ETag and Last-Modified (#cread)."""

from __future__ import annotations

import json

import pytest

from modules.location.models import Location
from tests.api_helpers import FHIR_JSON, validated

pytestmark = pytest.mark.django_db


def put(client, url: str, body: dict, **headers):
    return client.put(url, json.dumps(body), content_type=FHIR_JSON, headers=headers)


def diagnostics(response) -> tuple[str, list[str]]:
    issue = validated(response.json())["issue"][0]
    return issue["diagnostics"], issue.get("expression", [])


@pytest.mark.parametrize(
    ("body_id", "status", "message"),
    [
        (None, 400, "The body has no id; an update names its resource twice: give the body "
         "the id in the URL ({key})."),
        ("0e0e0e0e-0000-4000-8000-000000000000", 400,
         "The body's id '0e0e0e0e-0000-4000-8000-000000000000' is not the id in the URL ({key})."),
        ("{KEY}", 400, "The body's id '{KEY}' is not the id in the URL ({key})."),
        ("{key}", 200, None),
    ],
)  # fmt: skip
def test_an_update_needs_the_id_of_the_url_in_its_body(admin, chain, body_id, status, message):
    region = chain["R0"]
    key = str(region.uuid)
    body = admin.get(f"/fhir/Location/{key}").json()
    del body["id"], body["meta"]
    body["name"] = "Renamed"
    if body_id is not None:
        body["id"] = body_id.format(key=key, KEY=key.upper())
    response = put(admin, f"/fhir/Location/{key}", body)
    assert response.status_code == status, response.content
    if message is None:
        assert validated(response.json())["name"] == "Renamed"
        assert Location.objects.filter(legacy=region).count() == 1
        return
    assert diagnostics(response) == (message.format(key=key, KEY=key.upper()), ["Location.id"])
    assert Location.objects.get(pk=region.pk).name == "Region 0"  # nothing written
    assert not Location.objects.filter(legacy=region).exists()
