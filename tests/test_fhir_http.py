"""FHIR R4's HTTP rules for versions (R4 http.html): an update names its resource in the
body too (#update), a delete is a version of its own (#delete, #history, #vread), and
reads are conditional on the version's ETag and Last-Modified (#cread)."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone
from django.utils.http import http_date

from modules.location.models import Location
from tests.api_helpers import send, validated, village

pytestmark = pytest.mark.django_db


def diagnostics(response) -> tuple[str, list[str]]:
    issue = validated(response.json())["issue"][0]
    return issue["diagnostics"], issue.get("expression", [])


@pytest.mark.parametrize(
    ("body_id", "status", "message"),
    [
        (None, 400, "The body has no id: an update's body needs the id in the URL ({key})."),
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
    response = send(admin, "put", f"/fhir/Location/{key}", body)
    assert response.status_code == status, response.content
    if message is None:
        assert validated(response.json())["name"] == "Renamed"
        assert Location.objects.filter(legacy=region).count() == 1
        return
    assert diagnostics(response) == (message.format(key=key, KEY=key.upper()), ["Location.id"])
    assert Location.objects.get(pk=region.pk).name == "Region 0"  # nothing written
    assert not Location.objects.filter(legacy=region).exists()


def history(client, url: str) -> list[tuple[str, str, str | None, str | None]]:
    """The ``_history`` of ``url``: (method, etag, name, status) per entry, newest first."""
    response = client.get(f"{url}/_history")
    assert response.status_code == 200, response.content
    return [
        (
            e["request"]["method"],
            e["response"]["etag"],
            e.get("resource", {}).get("name"),
            e.get("resource", {}).get("status"),
        )
        for e in validated(response.json())["entry"]
    ]


def test_a_delete_is_a_version_of_its_own(admin, chain):
    """R4 http.html#delete and #history: the delete adds version 3 (an entry without a
    resource, request.method DELETE); versions 1 and 2 answer as they were (#vread);
    the read and the vread of version 3 are 410 Gone."""
    village = chain["R0DWV"]
    url = f"/fhir/Location/{village.uuid}"
    body = {**admin.get(url).json(), "name": "Renamed village"}
    assert send(admin, "put", url, body).status_code == 200
    deleted = admin.delete(url)
    assert deleted.status_code == 204, deleted.content
    assert deleted["ETag"] == 'W/"3"'
    row = Location.objects.get(pk=village.pk)
    assert history(admin, url) == [
        ("DELETE", 'W/"3"', None, None),
        ("PUT", 'W/"2"', "Renamed village", "active"),
        ("POST", 'W/"1"', "Village 0", "active"),
    ]
    entry = admin.get(f"{url}/_history").json()["entry"][0]
    assert entry["request"]["url"] == f"Location/{village.uuid}/_history/3"
    assert entry["response"]["lastModified"] == (row.validity_to.isoformat().replace("+00:00", "Z"))
    second = validated(admin.get(f"{url}/_history/2").json())
    assert (second["meta"]["versionId"], second["name"], second["status"]) == (
        "2",
        "Renamed village",
        "active",
    )
    assert validated(admin.get(f"{url}/_history/1").json())["name"] == "Village 0"
    gone = admin.get(f"{url}/_history/3")
    assert gone.status_code == 410, gone.content
    assert diagnostics(gone)[0] == (
        f"Location/{village.uuid} version 3 is its deletion, at "
        f"{row.validity_to.isoformat().replace('+00:00', 'Z')}."
    )
    assert admin.get(url).status_code == 410
    assert admin.get(f"{url}/_history/4").status_code == 404
    # deleting again writes nothing: still three versions
    again = admin.delete(url)
    assert (again.status_code, again.has_header("ETag")) == (204, False)
    assert len(history(admin, url)) == 3
    # the rows: the history row of version 1 and the deleted row, nothing rewritten
    assert Location.objects.filter(legacy=village).count() == 1
    assert (row.name, row.validity_to is not None) == ("Renamed village", True)


def test_a_payer_deleted_is_a_version_too(admin, chain):
    payer = chain["R0"].payers.current().get()
    url = f"/fhir/Organization/{payer.uuid}"
    assert admin.delete(url).status_code == 204
    assert history(admin, url) == [
        ("DELETE", 'W/"2"', None, None),
        ("POST", 'W/"1"', "Payer of R0", None),
    ]
    assert validated(admin.get(f"{url}/_history/1").json())["active"] is True
    assert admin.get(f"{url}/_history/2").status_code == 410


def test_reads_are_conditional_on_the_version(admin, chain):
    """R4 http.html#cread: a read and a vread carry ETag W/"<version>" and Last-Modified;
    If-None-Match with the version's ETag (weak or not, among others, or *) is a 304
    without a body, and If-Modified-Since at or after Last-Modified too (ignored when
    If-None-Match is sent, RFC 9110 §13.2.2)."""
    region = chain["R0"]
    url = f"/fhir/Location/{region.uuid}"
    body = admin.get(url).json()
    assert send(admin, "put", url, {**body, "name": "Region Zero"}).status_code == 200
    read = admin.get(url)
    modified = read["Last-Modified"]
    assert (read["ETag"], read.status_code) == ('W/"2"', 200)
    assert modified == http_date(Location.objects.get(pk=region.pk).validity_from.timestamp())
    first = admin.get(f"{url}/_history/1")
    first_row = Location.objects.get(legacy=region)
    assert (first["ETag"], first["Last-Modified"]) == (
        'W/"1"',
        http_date(first_row.validity_from.timestamp()),
    )

    def status(target: str, **headers) -> tuple[int, bytes, str]:
        response = admin.get(target, headers=headers)
        return response.status_code, response.content, response["ETag"]

    assert status(url, **{"If-None-Match": 'W/"2"'}) == (304, b"", 'W/"2"')
    assert status(url, **{"If-None-Match": '"2"'}) == (304, b"", 'W/"2"')
    assert status(url, **{"If-None-Match": 'W/"9", W/"2"'}) == (304, b"", 'W/"2"')
    assert status(url, **{"If-None-Match": "*"}) == (304, b"", 'W/"2"')
    assert status(url, **{"If-None-Match": 'W/"1"'})[0] == 200
    assert status(f"{url}/_history/1", **{"If-None-Match": 'W/"1"'}) == (304, b"", 'W/"1"')
    assert status(f"{url}/_history/1", **{"If-None-Match": 'W/"2"'})[0] == 200
    assert status(url, **{"If-Modified-Since": modified}) == (304, b"", 'W/"2"')
    later = http_date(time.time() + 3600)
    earlier = http_date(Location.objects.get(pk=region.pk).validity_from.timestamp() - 1)
    assert status(url, **{"If-Modified-Since": later})[0] == 304
    assert status(url, **{"If-Modified-Since": earlier})[0] == 200
    assert status(url, **{"If-Modified-Since": "yesterday"})[0] == 200  # not a date: ignored
    assert status(url, **{"If-None-Match": 'W/"1"', "If-Modified-Since": later})[0] == 200
    served = admin.get("/fhir/metadata").json()["rest"][0]["resource"]
    assert {r["type"]: r["conditionalRead"] for r in served} == {
        "Location": "full-support",
        "Organization": "full-support",
    }


def test_a_deleted_resource_answers_410_with_the_etag_of_its_deletion(admin, chain):
    """R4 http.html#read: a read of a deleted resource is a 410, and a server MAY send an
    ETag with it; this one sends the deletion's version (as the delete's own answer and
    the history do) and when it happened, on the read and on the vread of that version."""
    village = chain["R0DWV"]
    url = f"/fhir/Location/{village.uuid}"
    body = admin.get(url).json()
    assert admin.delete(url).status_code == 204
    deleted_at = Location.objects.get(pk=village.pk).validity_to
    for gone in (admin.get(url), admin.get(f"{url}/_history/2"), send(admin, "put", url, body)):
        assert gone.status_code == 410, gone.content
        assert (gone["ETag"], gone["Last-Modified"]) == ('W/"2"', http_date(deleted_at.timestamp()))
    assert not admin.get(f"{url}/_history/3").has_header("ETag")  # a 404 has none


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ('W/"1"', 200),
        ('"1"', 200),
        ('W/"7", W/"1"', 200),  # a list: any tag that matches (RFC 9110 §13.1.1)
        ("*", 200),
        ('W/"7"', 412),
        ("1", 400),
        ("W/1", 400),
        ('W/"1', 400),
        ('W/"1", bogus', 400),
        ("", 400),
    ],
)
def test_if_match_is_an_entity_tag_list_or_a_400(admin, chain, if_match, status):
    """R4 http.html#concurrency: If-Match carries the version's ETag; a value that is no
    entity tag list (RFC 9110 §13.1.1: "*" / #entity-tag) is a client error naming the
    header (400), not a failed precondition (412, a tag that does not match)."""
    region = chain["R0"]
    url = f"/fhir/Location/{region.uuid}"
    body = {**admin.get(url).json(), "name": "Renamed"}
    response = send(admin, "put", url, body, **{"If-Match": if_match})
    assert response.status_code == status, response.content
    renamed = Location.objects.get(pk=region.pk).name == "Renamed"
    assert renamed is (status == 200)  # nothing written unless it matched
    if status == 400:
        assert diagnostics(response)[0] == (
            f"If-Match {if_match!r} is not an entity tag list: send the version's ETag "
            'as the read gave it (W/"1"), several separated by commas, or *.'
        )


def test_an_include_leaves_a_deleted_resource_out(admin, chain):
    """R4 http.html#read: a deleted resource is gone (410), so an _include does not
    bring back its last version as if it were current."""
    district, ward = chain["R0D"], chain["R0DW"]
    Location.objects.filter(pk=district.pk).update(validity_to=timezone.now())
    located = admin.get("/fhir/Organization?name=Payer of R0D&_include=Organization:location")
    assert [e["resource"]["resourceType"] for e in validated(located.json())["entry"]] == [
        "Organization"
    ]
    parts = admin.get(f"/fhir/Location?_id={ward.uuid}&_include:iterate=Location:partof")
    assert [e["resource"]["name"] for e in validated(parts.json())["entry"]] == ["Ward 0"]


def test_a_read_names_its_version_in_content_location(admin, chain):
    key = chain["R0"].uuid
    read = admin.get(f"/fhir/Location/{key}")
    assert read.status_code == 200
    assert not read.has_header("Location")
    assert read["Content-Location"] == f"http://testserver/fhir/Location/{key}/_history/1"
    updated = send(admin, "put", f"/fhir/Location/{key}", {**read.json(), "name": "Renamed"})
    assert updated.status_code == 200 and not updated.has_header("Location")
    assert updated["Content-Location"].endswith(f"/fhir/Location/{key}/_history/2")
    created = send(admin, "post", "/fhir/Location", village("NEWV", str(chain["R0DW"].uuid)))
    assert created.status_code == 201
    new = Location.objects.get(code="NEWV")
    assert created["Location"] == f"http://testserver/fhir/Location/{new.uuid}/_history/1"
