"""FHIR R4 at /fhir/ through Django's test client: mapping, search, versions, writes, errors,
query counts. Every resource served is validated with fhir.resources (``validated``)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from modules.location import services as location_services
from modules.location.models import Location
from modules.payer.models import Payer
from tests.api_helpers import FHIR_JSON, bearer_token, get_document, send, validated

pytestmark = pytest.mark.django_db
IDENT = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/openimis-identifiers"
LOC_TYPE = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/location-type"


def get(client: Client, url: str, status: int = 200) -> dict:
    return validated(get_document(client, url, f"{FHIR_JSON}; charset=utf-8", status))


def new_village(code: str, name: str, parent: Location) -> dict:
    """A Location resource creating the village ``code`` below ``parent``."""
    return {
        "resourceType": "Location",
        "identifier": [{"type": {"coding": [{"system": IDENT, "code": "Code"}]}, "value": code}],
        "name": name,
        "physicalType": {"coding": [{"system": LOC_TYPE, "code": "V"}]},
        "partOf": {"reference": f"Location/{parent.uuid}"},
    }


def test_metadata_lists_exactly_what_the_modules_serve():
    body = get(Client(), "/fhir/metadata")  # no data in it: open to anonymous callers
    assert body["fhirVersion"] == "4.0.1"
    assert body["rest"][0]["documentation"].startswith(
        "Searches are strict by default: an unknown search parameter is a 400. "
        "`Prefer: handling=lenient` ignores unknown parameters"
    )
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert list(resources) == ["Location", "Organization"]
    location = resources["Location"]
    assert location["searchInclude"] == ["Location:partof"]
    assert location["searchRevInclude"] == ["Location:partof", "Organization:location"]
    assert {p["name"] for p in location["searchParam"]} == {
        "_id", "_lastUpdated", "identifier", "name", "partof", "type",
    }  # fmt: skip
    assert {i["code"] for i in location["interaction"]} == {
        "read", "vread", "update", "delete", "history-instance", "create", "search-type",
    }  # fmt: skip
    assert {p["name"] for p in resources["Organization"]["searchParam"]} == {
        "_id", "_lastUpdated", "identifier", "name", "type", "location",
    }  # fmt: skip


def test_location_on_the_openimis_mapping(admin, chain):
    village = chain["R0DWV"]
    response = admin.get(f"/fhir/Location/{village.uuid}")
    assert response["ETag"] == 'W/"1"'
    body = validated(response.json())
    assert body == {
        "resourceType": "Location",
        "id": str(village.uuid),
        "meta": {
            "versionId": "1",
            "lastUpdated": village.validity_from.astimezone(datetime.UTC)
            .isoformat()
            .replace("+00:00", "Z"),
        },
        "identifier": [
            {"type": {"coding": [{"system": IDENT, "code": "UUID"}]}, "value": str(village.uuid)},
            {"type": {"coding": [{"system": IDENT, "code": "Code"}]}, "value": "R0DWV"},
        ],
        "status": "active",
        "name": "Village 0",
        "mode": "instance",
        "physicalType": {"coding": [{"system": LOC_TYPE, "code": "V", "display": "Village"}]},
        "partOf": {"reference": f"Location/{chain['R0DW'].uuid}"},
    }


def test_payer_as_organization(admin, chain):
    payer = Payer.objects.current().get(name="Payer of R0D")
    Payer.objects.filter(pk=payer.pk).update(phone="+855 1", email="a@b.kh", address="1 St\nPP")
    body = get(admin, f"/fhir/Organization/{payer.uuid}")
    assert body["type"] == [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                    "code": "pay",
                    "display": "Payer",
                },
                {
                    "system": "urn:openimis-graphql:fhir:CodeSystem:payer-type",
                    "code": "G",
                    "display": "Government",
                },
            ]
        }
    ]
    assert body["active"] is True
    assert body["telecom"] == [
        {"system": "phone", "value": "+855 1"},
        {"system": "email", "value": "a@b.kh"},
    ]
    assert body["address"] == [{"text": "1 St\nPP"}]
    assert body["extension"] == [
        {
            "url": "urn:openimis-graphql:fhir:StructureDefinition:organization-location",
            "valueReference": {"reference": f"Location/{chain['R0D'].uuid}"},
        }
    ]


def test_search_parameters(admin, make_chains):
    make_chains(3)

    def codes(url: str) -> list[str]:
        body = get(admin, url)
        return [e["resource"]["identifier"][1]["value"] for e in body["entry"]]

    region = Location.objects.get(code="R1")
    assert codes("/fhir/Location?type=V") == ["R0DWV", "R1DWV", "R2DWV"]
    assert codes(f"/fhir/Location?type={LOC_TYPE}|D&_sort=-identifier") == ["R2D", "R1D", "R0D"]
    assert codes("/fhir/Location?identifier=r1dw") == ["R1DW"]
    assert codes(f"/fhir/Location?identifier={region.uuid}") == ["R1"]
    assert codes(f"/fhir/Location?partof={region.uuid}") == ["R1D"]
    assert codes(f"/fhir/Location?partof=Location/{region.uuid}") == ["R1D"]
    assert codes("/fhir/Location?name=village 1") == ["R1DWV"]
    assert codes("/fhir/Location?name:contains=ILLAG&type=V,R&_count=2") == ["R0DWV", "R1DWV"]
    assert codes("/fhir/Location?name:exact=village 1") == []
    assert codes(f"/fhir/Location?_id={region.uuid}") == ["R1"]
    today = timezone.now().date()
    assert len(codes(f"/fhir/Location?_lastUpdated={today}")) == 12
    assert codes(f"/fhir/Location?_lastUpdated=lt{today}") == []
    organizations = get(admin, f"/fhir/Organization?location={region.uuid}&_sort=name")
    assert [e["resource"]["name"] for e in organizations["entry"]] == [
        "Payer of R1",
        "Payer of R1D",
    ]  # at or below the region; history payers are not served
    assert get(admin, "/fhir/Organization?type=pay&_total=accurate")["total"] == 6
    assert get(admin, "/fhir/Organization?type=D")["total"] == 0


def test_paging_links_and_total(admin, make_chains):
    make_chains(3)
    first = get(admin, "/fhir/Location?type=V&_count=2")
    assert first["total"] == 3
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert set(links) == {"self", "next"}
    second = get(admin, links["next"].removeprefix("http://testserver"))
    assert [e["resource"]["name"] for e in second["entry"]] == ["Village 2"]
    assert {link["relation"] for link in second["link"]} == {"self", "previous", "first"}
    assert "total" not in get(admin, "/fhir/Location?_total=none")
    assert get(admin, "/fhir/Location?_count=0")["total"] == 12


def test_search_by_post_answers_as_the_get(admin, make_chains):
    """POST [type]/_search with the parameters in a form body, some in the URL too."""
    make_chains(3)
    form = "application/x-www-form-urlencoded"
    url = "/fhir/Location/_search?_count=2"
    response = admin.post(url, "name:contains=illag&type=V,R", content_type=form)
    assert response.status_code == 200, response.content
    by_post = validated(response.json())
    by_get = get(admin, "/fhir/Location?_count=2&name:contains=illag&type=V,R")
    assert by_post == by_get
    assert [e["resource"]["name"] for e in by_post["entry"]] == ["Village 0", "Village 1"]
    assert by_post["total"] == 3
    # a name in both: the values are ANDed as in one URL
    both = admin.post("/fhir/Location/_search?type=V", "type=R", content_type=form).json()
    assert both["total"] == 0
    assert get(admin, "/fhir/Location/_search?type=V") == get(admin, "/fhir/Location?type=V")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "fragment"),
    [
        ("colour=red", "application/x-www-form-urlencoded", 400, "Unknown search parameter"),
        ("name=a%00b", "application/x-www-form-urlencoded", 400, "NUL character"),
        ("name=%FF%FE", "application/x-www-form-urlencoded", 400, "is not UTF-8"),
        (b"name=\xe9", "application/x-www-form-urlencoded", 400, "is not UTF-8"),
        ("_format=xml", "application/x-www-form-urlencoded", 406, "only JSON is served"),
        (
            "name=é",  # sent as latin-1 by the test client
            "application/x-www-form-urlencoded; charset=latin1",
            415,
            "in UTF-8, not application/x-www-form-urlencoded; charset=latin1",
        ),
        ('{"name": "x"}', "application/json", 415, "as application/x-www-form-urlencoded"),
    ],
)
def test_a_bad_search_by_post_is_an_operation_outcome(admin, body, content_type, status, fragment):
    response = admin.post("/fhir/Location/_search", body, content_type=content_type)
    assert response.status_code == status, response.content
    assert fragment in validated(response.json())["issue"][0]["diagnostics"]


def test_includes_reach_the_whole_chain_and_the_payers(admin, chain):
    village = chain["R0DWV"]
    one = get(admin, "/fhir/Location?type=V&_include=Location:partof")
    assert [(e["resource"]["name"], e["search"]["mode"]) for e in one["entry"]] == [
        ("Village 0", "match"),
        ("Ward 0", "include"),
    ]
    every = get(admin, f"/fhir/Location?_id={village.uuid}&_include:iterate=Location:partof")
    assert [e["resource"]["name"] for e in every["entry"]] == [
        "Village 0", "Ward 0", "District 0", "Region 0",
    ]  # fmt: skip
    payers = get(admin, "/fhir/Location?type=D&_revinclude=Organization:location")
    assert [e["resource"].get("name") for e in payers["entry"]] == ["District 0", "Payer of R0D"]
    located = get(admin, "/fhir/Organization?name=Payer of R0D&_include=Organization:location")
    assert [e["resource"]["resourceType"] for e in located["entry"]] == [
        "Organization",
        "Location",
    ]
    # :iterate on _revinclude: the payers of what _include:iterate added too (the region's)
    district = chain["R0D"].uuid
    url = f"/fhir/Location?_id={district}&_include:iterate=Location:partof"
    both = get(admin, url + "&_revinclude:iterate=Organization:location")
    assert [e["resource"].get("name") for e in both["entry"]] == [
        "District 0", "Region 0", "Payer of R0D", "Payer of R0",
    ]  # fmt: skip
    once = get(admin, url + "&_revinclude=Organization:location")
    assert [e["resource"].get("name") for e in once["entry"]] == [
        "District 0", "Region 0", "Payer of R0D",
    ]  # fmt: skip


@pytest.mark.parametrize("n", [1, 8])
def test_search_queries_are_flat(admin, make_chains, count_queries, n):
    """One query for the page (total and versions inside), one per include round, and
    the session's two; whatever the page size."""
    make_chains(n)
    url = "/fhir/Location?type=V&_include:iterate=Location:partof&_revinclude=Organization:location"
    response, captured = count_queries(admin.get, url)
    assert len(response.json()["entry"]) == 4 * n  # villages have no payers here
    # session + user, page, 3 include rounds (W, D, R) + revinclude, final empty round: none
    assert len(captured) == 2 + 1 + 4, [q["sql"] for q in captured]


def test_versions_from_the_history_rows(admin, chain):
    region = chain["R0"]
    user = User.objects.get(username="admin")
    location_services.update_location(region.uuid, {"name": "Region Zero"}, user=user)
    location_services.update_location(region.uuid, {"name": "Region Nought"}, user=user)
    current = get(admin, f"/fhir/Location/{region.uuid}")
    assert (current["meta"]["versionId"], current["name"]) == ("3", "Region Nought")
    history = get(admin, f"/fhir/Location/{region.uuid}/_history")
    assert history["type"] == "history"
    versions = [
        (e["resource"]["meta"]["versionId"], e["resource"]["name"]) for e in history["entry"]
    ]
    assert versions == [
        ("3", "Region Nought"),
        ("2", "Region Zero"),
        ("1", "Region 0"),
    ]  # fmt: skip
    assert {e["resource"]["id"] for e in history["entry"]} == {str(region.uuid)}
    first = get(admin, f"/fhir/Location/{region.uuid}/_history/1")
    assert (first["name"], first["meta"]["versionId"]) == ("Region 0", "1")
    assert (
        get(admin, f"/fhir/Location/{region.uuid}/_history/4", 404)["issue"][0]["diagnostics"]
        == f"Location/{region.uuid} has versions 1 to 3, not '4'."
    )
    # a history row's own uuid is not a resource id
    old = Location.objects.filter(legacy=region).first()
    assert get(admin, f"/fhir/Location/{old.uuid}", 404)["issue"][0]["code"] == "not-found"
    found = get(admin, "/fhir/Location?type=R")
    assert [e["resource"]["meta"]["versionId"] for e in found["entry"]] == ["3"]


def test_create_update_delete_through_the_services(admin, chain):
    body = new_village("NEWV", "New village", chain["R0DW"])
    created = send(admin, "post", "/fhir/Location", body)
    assert created.status_code == 201, created.content
    new = validated(created.json())
    row = Location.objects.get(uuid=new["id"])
    assert (row.code, row.name, row.type, row.parent_id) == (
        "NEWV",
        "New village",
        "V",
        chain["R0DW"].pk,
    )
    assert created["Location"].endswith(f"/fhir/Location/{row.uuid}/_history/1")
    assert created["ETag"] == 'W/"1"'

    new["name"] = "Renamed village"
    stale = send(admin, "put", f"/fhir/Location/{row.uuid}", new, **{"If-Match": 'W/"7"'})
    assert stale.status_code == 412
    assert Location.objects.get(pk=row.pk).name == "New village"
    updated = send(admin, "put", f"/fhir/Location/{row.uuid}", new, **{"If-Match": 'W/"1"'})
    assert updated.status_code == 200, updated.content
    assert updated["ETag"] == 'W/"2"'
    assert validated(updated.json())["name"] == "Renamed village"
    assert Location.objects.filter(legacy=row, name="New village").count() == 1  # history kept

    assert (
        send(admin, "delete", f"/fhir/Location/{row.uuid}", "", **{"If-Match": 'W/"1"'}).status_code
        == 412
    )
    assert send(admin, "delete", f"/fhir/Location/{row.uuid}", "").status_code == 204
    assert Location.objects.get(pk=row.pk).validity_to is not None
    gone = get(admin, f"/fhir/Location/{row.uuid}", 410)
    assert gone["issue"][0]["code"] == "deleted"
    assert send(admin, "delete", f"/fhir/Location/{row.uuid}", "").status_code == 204
    last = get(admin, f"/fhir/Location/{row.uuid}/_history/2")  # as it was before the delete
    assert (last["status"], last["name"]) == ("active", "Renamed village")
    assert get(admin, f"/fhir/Location/{row.uuid}/_history/3", 410)["issue"][0]["code"] == "deleted"


def test_rules_of_the_services_are_operation_outcomes(admin, chain):
    body = {
        "resourceType": "Location",
        "identifier": [{"type": {"coding": [{"system": IDENT, "code": "Code"}]}, "value": "R0D"}],
        "name": "x" * 51,
        "physicalType": {"coding": [{"system": LOC_TYPE, "code": "V"}]},
        "partOf": {"reference": f"Location/{chain['R0'].uuid}"},
    }
    before = Location.objects.count()
    refused = send(admin, "post", "/fhir/Location", body)
    assert refused.status_code == 422
    issues = validated(refused.json())["issue"]
    assert [(i["details"]["coding"][0]["code"], i["expression"]) for i in issues] == [
        ("TOO_LONG", ["Location.name"]),
        ("DUPLICATE", ["Location.identifier"]),
        ("WRONG_PARENT_LEVEL", ["Location.partOf"]),
    ]
    assert Location.objects.count() == before
    body["identifier"][0]["value"] = "r0d"  # the district's code R0D in other case
    other_case = validated(send(admin, "post", "/fhir/Location", body).json())["issue"]
    assert other_case[1]["diagnostics"] == (
        "A current location already has the code 'R0D' "
        "(codes are unique ignoring case, so 'r0d' is taken)."
    )
    has_payers = send(admin, "delete", f"/fhir/Location/{chain['R0'].uuid}", "")
    assert has_payers.status_code == 409
    assert "HAS_CHILDREN" in has_payers.content.decode()
    payer = {
        "resourceType": "Organization",
        "name": "Rice co-op",
        "type": [
            {"coding": [{"system": "urn:openimis-graphql:fhir:CodeSystem:payer-type", "code": "C"}]}
        ],
        "telecom": [{"system": "email", "value": "not an address"}],
    }
    bad_email = send(admin, "post", "/fhir/Organization", payer)
    assert bad_email.status_code == 422
    assert validated(bad_email.json())["issue"][0]["expression"] == ["Organization.telecom"]
    assert not Payer.objects.filter(name="Rice co-op").exists()


PAYER_TYPE = "urn:openimis-graphql:fhir:CodeSystem:payer-type"
ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
LOCATION_CODES = f"R (Region), D (District), W (Municipality), V (Village) of {LOC_TYPE}"
PAYER_CODES = (
    "C (Co-operative), D (Donor), G (Government), L (Local authority), O (Other), "
    f"P (Private organization) of {PAYER_TYPE}; pay (Payer) of {ORG_TYPE}"
)


@pytest.mark.parametrize(
    ("codings", "given"),
    [
        ([{"code": "X"}], "'X'"),
        ([{"system": LOC_TYPE, "code": "X"}], f"'X' of {LOC_TYPE}"),
        ([{"system": "urn:other", "code": "V"}], "'V' of urn:other"),
    ],
)
def test_an_unknown_location_type_is_named_with_the_codes_allowed(admin, chain, codings, given):
    row = chain["R0DW"]
    resource = get(admin, f"/fhir/Location/{row.uuid}")
    resource["physicalType"] = {"coding": codings}
    before = Location.objects.order_by("pk").values_list()
    refused = send(admin, "put", f"/fhir/Location/{row.uuid}", resource)
    assert_code_invalid(refused, "Location.physicalType", given, LOCATION_CODES)
    assert list(Location.objects.order_by("pk").values_list()) == list(before)


def assert_code_invalid(refused, element: str, given: str, allowed: str) -> None:
    """``refused`` is a 422 with one ``code-invalid`` issue at ``element`` naming the
    code ``given`` and the codes ``allowed``."""
    assert refused.status_code == 422
    (issue,) = validated(refused.json())["issue"]
    assert (issue["code"], issue["expression"], issue["diagnostics"]) == (
        "code-invalid",
        [element],
        f"{element}: unknown code {given}. The codes allowed are {allowed}.",
    )


@pytest.mark.parametrize(
    ("codings", "given"),
    [
        ([{"code": "Z"}], "'Z'"),
        ([{"system": PAYER_TYPE, "code": "Z"}], f"'Z' of {PAYER_TYPE}"),
        ([{"system": ORG_TYPE, "code": "prov"}, {"system": PAYER_TYPE, "code": "C"}],
         f"'prov' of {ORG_TYPE}"),
    ],
)  # fmt: skip
def test_an_unknown_payer_type_is_named_with_the_codes_allowed(admin, codings, given):
    payer = {"resourceType": "Organization", "name": "Rice co-op", "type": [{"coding": codings}]}
    refused = send(admin, "post", "/fhir/Organization", payer)
    assert_code_invalid(refused, "Organization.type", given, PAYER_CODES)
    assert not Payer.objects.filter(name="Rice co-op").exists()


def test_a_coding_without_a_system_or_beside_a_translation_is_read(admin, chain):
    row = chain["R0DW"]
    resource = get(admin, f"/fhir/Location/{row.uuid}")
    resource["physicalType"] = {"coding": [{"system": "urn:other", "code": "ward"}, {"code": "V"}]}
    assert send(admin, "put", f"/fhir/Location/{row.uuid}", resource).status_code == 422
    resource["physicalType"] = {"coding": [{"system": "urn:other", "code": "ward"}, {"code": "W"}]}
    response = send(admin, "put", f"/fhir/Location/{row.uuid}", resource)
    assert response.status_code == 200, response.content
    payer = {"resourceType": "Organization", "name": "Rice co-op",
             "type": [{"coding": [{"code": "pay"}, {"code": "C"}]}]}  # fmt: skip
    assert send(admin, "post", "/fhir/Organization", payer).status_code == 201
    assert Payer.objects.get(name="Rice co-op").type == "C"


def assert_operation_outcome(response, status: int, fragment: str) -> None:
    """``response`` has the HTTP ``status`` and is a valid FHIR OperationOutcome whose
    first issue's diagnostics contain ``fragment``."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == f"{FHIR_JSON}; charset=utf-8"
    outcome = validated(response.json())
    assert fragment in outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("/fhir/Location?colour=red", "Unknown search parameter 'colour'"),
        ("/fhir/Location?_count=1001", "above the maximum page size 1000"),
        ("/fhir/Location?_count=-1", "_count='-1' is not a whole number"),
        ("/fhir/Location?_sort=colour", "_sort=colour: sort by one of"),
        ("/fhir/Location?_include=Location:colour", "not supported on Location"),
        (
            "/fhir/Location?_revinclude:bogus=Organization:location",
            "_revinclude:bogus: _revinclude takes no modifier :bogus here (supported: "
            "_include:iterate, _revinclude:iterate).",
        ),
        ("/fhir/Location?_include:recurse=Location:partof", ":recurse"),
        ("/fhir/Location?_count:exact=1", "_count takes no modifier"),
        ("/fhir/Location?_lastUpdated=2020-01-01T00:00", "needs its time zone"),
        (
            "/fhir/Location?_lastUpdated=ge2020-01-01T00:00:00.1234567Z",
            "2020-01-01T00:00:00.1234567Z has 7 fractional-second digits: at most 6",
        ),
        ("/fhir/Location?partof=Organization/1", "not a reference to a Location"),
        ("/fhir/Location?name=%00", "NUL character"),
        ("/fhir/Location?name:contains=a%00b", "NUL character"),
        ("/fhir/Organization?identifier=%00", "NUL character"),
        ("/fhir/Location?na%00me=a", "NUL character"),
        ("/fhir/Location/%00", "NUL character"),
    ],
)
def test_bad_reads_get_a_400_operation_outcome(admin, url, fragment):
    assert_operation_outcome(admin.get(url), 400, fragment)


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "fragment"),
    [
        ("get", "/fhir/Patient", None, 404, "'Patient' is not served here"),
        ("get", "/fhir/Location/nope", None, 404, "ids are uuids"),
        ("get", "/fhir/Organization/_history", None, 404, "history is per resource"),
        ("put", "/fhir/Location/_x", {"resourceType": "Location"}, 404, "no interaction"),
        ("get", "/fhir/Location/00000000-0000-0000-0000-000000000000", None, 404, "No Location"),
        ("post", "/fhir/Location", "{", 400, "The request body is not valid JSON. Expecting"),
        ("post", "/fhir/Location", {"resourceType": "Patient"}, 400, "must be a Location"),
        ("post", "/fhir/Location", {"resourceType": "Location", "partOf": "x"}, 400, "partOf"),
        ("post", "/fhir/Location", {"resourceType": "Location", "name": "a\x00"}, 400, "NUL"),
        ("patch", "/fhir/Location", {}, 405, "not allowed"),
    ],
)
def test_bad_requests_get_an_operation_outcome(admin, method, url, body, status, fragment):
    response = getattr(admin, method)(url) if body is None else send(admin, method, url, body)
    assert_operation_outcome(response, status, fragment)


@pytest.mark.parametrize(
    ("accept", "format_", "status"),
    [
        (None, None, 200),
        ("application/fhir+json", None, 200),
        ("application/json", None, 200),
        ("application/json+fhir", None, 200),
        ("text/html,application/xhtml+xml,*/*;q=0.8", None, 200),
        ("application/*", None, 200),
        ("application/fhir+xml", None, 406),
        ("application/xml, text/xml", None, 406),
        ("application/fhir+json; fhirVersion=4.0", None, 200),
        ("application/fhir+json; charset=utf-8", None, 200),
        ("application/fhir+json;q=0, application/fhir+xml", None, 406),
        ("application/fhir+json;q=0, */*", None, 406),  # the specific range counts
        ("application/fhir+json;q=0.5, */*;q=0", None, 200),
        ("application/json;q=0, application/fhir+json", None, 200),
        ("*/*;q=0", None, 406),
        ("application/fhir+xml", "json", 200),  # _format overrides Accept
        (None, "JSON", 200),
        (None, "application/fhir json", 200),  # an unencoded + arrives as a space
        (None, "application/fhir+json", 200),
        (None, "xml", 406),
        (None, "application/fhir+xml", 406),
    ],
)
@pytest.mark.parametrize("url", ["/fhir/metadata", "/fhir/Location"])
def test_only_json_is_served(admin, url, accept, format_, status):
    """FHIR R4 http.html#mime-type: a format the server cannot produce is a 406."""
    headers = {"Accept": accept} if accept else {}
    response = admin.get(url, {"_format": format_} if format_ else {}, headers=headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == f"{FHIR_JSON}; charset=utf-8"
    body = response.json()
    if status == 406:
        assert body["issue"][0]["code"] == "not-supported"
        assert "only JSON is served" in body["issue"][0]["diagnostics"]
    else:
        assert body["resourceType"] in ("CapabilityStatement", "Bundle")


def test_a_write_refuses_a_format_other_than_json(admin):
    response = admin.post(
        "/fhir/Location",
        json.dumps({"resourceType": "Location", "name": "x"}),
        content_type=FHIR_JSON,
        headers={"Accept": "application/fhir+xml"},
    )
    assert response.status_code == 406
    assert Location.objects.count() == 0


def test_content_type_is_checked(admin):
    response = admin.post("/fhir/Location", "name=x", content_type="text/plain")
    assert response.status_code == 415
    assert "Send application/fhir+json" in response.json()["issue"][0]["diagnostics"]


def test_authentication_permissions_and_scopes(make_user, chain):
    assert get(Client(), "/fhir/Location", 401)["issue"][0]["code"] == "login"
    viewer = Client()
    viewer.force_login(make_user("viewer", "location.view_location"))
    assert get(viewer, "/fhir/Organization", 403)["issue"][0]["diagnostics"] == (
        "Permission denied: you need 'payer.view_payer'."
    )
    denied = send(viewer, "post", "/fhir/Location", {"resourceType": "Location", "name": "x"})
    assert denied.status_code == 403
    assert "location.add_location" in denied.json()["issue"][0]["diagnostics"]

    owner = make_user("owner", superuser=True)
    bearer = {"Authorization": f"Bearer {bearer_token(owner, 'read', 'read-only')}"}
    client = Client(enforce_csrf_checks=True)
    assert client.get("/fhir/Location", headers=bearer).status_code == 200
    region = chain["R0"]
    refused = client.delete(f"/fhir/Location/{region.uuid}", headers=bearer)
    assert refused.status_code == 403
    assert "scope does not include 'write'" in refused.json()["issue"][0]["diagnostics"]
    bad = client.get("/fhir/Location", headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401


def test_session_writes_need_the_csrf_token(make_user, chain):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("editor", superuser=True))
    response = client.delete(f"/fhir/Location/{chain['R0DWV'].uuid}")
    assert response.status_code == 403
    assert "CSRF" in response.json()["issue"][0]["diagnostics"]
    assert Location.objects.get(pk=chain["R0DWV"].pk).validity_to is None


def test_session_posts_with_the_csrf_token_are_served(make_user, chain):
    """A logged-in browser (CSRF enforced) creates and searches by POST; without the
    token both are a 403 OperationOutcome. (The CSRF check read DRF's request.POST, which
    had no parser for these bodies: a 500.)"""
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("editor", superuser=True))
    client.get("/app/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    body = new_village("S1", "Via session", chain["R0DW"])
    refused = send(client, "post", "/fhir/Location", body)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["issue"][0]["diagnostics"]
    created = send(client, "post", "/fhir/Location", body, **{"X-CSRFToken": token})
    assert created.status_code == 201, created.content
    assert Location.objects.filter(code="S1", validity_to__isnull=True).count() == 1
    form = "application/x-www-form-urlencoded"
    assert (
        client.post("/fhir/Location/_search", "identifier=S1", content_type=form).status_code == 403
    )
    found = client.post(
        "/fhir/Location/_search", "identifier=S1", content_type=form, headers={"X-CSRFToken": token}
    )
    assert found.status_code == 200, found.content
    assert [e["resource"]["name"] for e in found.json()["entry"]] == ["Via session"]


def test_validation_of_served_resources_can_be_switched_off(admin, chain, settings):
    url = f"/fhir/Location?_id={chain['R0DWV'].uuid}&_include:iterate=Location:partof"
    validated_answer = get(admin, url)
    settings.FHIR_VALIDATE_RESPONSES = False
    assert get(admin, url) == validated_answer  # the same resources, valid (``get`` checks)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {},
            'The body has no resourceType; send a Location resource ("resourceType": "Location").',
        ),
        ({"resourceType": None}, "The body must be a Location resource, not null."),
        ({"resourceType": 5}, "The body must be a Location resource, not a number."),
        ({"resourceType": "Patient"}, "The body must be a Location resource, not 'Patient'."),
        (None, "The body must be a Location resource (a JSON object), not null."),
        ([], "The body must be a Location resource (a JSON object), not an array."),
        ('"x"', "The body must be a Location resource (a JSON object), not a string."),
    ],
)
def test_a_body_that_is_no_resource_is_named_in_json_terms(admin, body, message):
    """Not Python's words for the JSON sent ("not None", "not 'NoneType'", "not 'list'")."""
    response = send(admin, "post", "/fhir/Location", body if body is not None else "null")
    assert response.status_code == 400
    assert response.json()["issue"][0]["diagnostics"] == message
