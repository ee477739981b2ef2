"""The query strings of the FHIR and JSON:API surfaces: every bad input is a 400 naming
the parameter and the problem (an OperationOutcome; a JSON:API error object with
``source.parameter``), never a 500, never ignored, never a partial write. Each surface
reads its query string in one place (``backend/fhir/search.py`` ``Search``,
``backend/fhir/responses.py`` ``check_parameters``; ``backend/jsonapi/query.py``; a
parameter repeated or without a value: ``backend/query_string.py`` for both), so the
generated query strings at the end reach every rule at once."""

from __future__ import annotations

import json
from urllib.parse import quote_from_bytes, urlencode

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.fhir import search as fhir_search
from backend.fhir.resources import SearchParam
from modules.location.models import Location
from modules.payer.models import Payer
from tests.api_helpers import FHIR_JSON, JSONAPI, get_document, validated, village

pytestmark = pytest.mark.django_db
SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}


def api_error(client: Client, url: str, status: int = 400) -> dict:
    """The one JSON:API error object of a refused request."""
    (error,) = get_document(client, url, JSONAPI, status)["errors"]
    assert error["status"] == str(status)
    return error


def fhir_problem(client: Client, url: str, status: int = 400) -> str:
    """The diagnostics of the one issue of a refused FHIR request."""
    response = client.get(url)
    assert response.status_code == status, response.content
    body = validated(response.json())
    (issue,) = body["issue"]
    assert body["resourceType"] == "OperationOutcome"
    return issue["diagnostics"]


# -- JSON:API ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        (
            "fields[bogus]=name",
            "fields[bogus]: no type 'bogus' is served (types: locations, payers).",
        ),
        (
            "fields[payers]=bogus",
            "fields[payers]=bogus: payers has no field 'bogus' (fields: name, payerType, "
            "address, phone, fax, email, validityFrom, location).",
        ),
        ("fields=code", "fields takes a name in brackets: fields[...]."),
        ("page[size]=-1", "page[size]='-1' is not a positive whole number."),
        ("page[size]=", "page[size] has no value."),
        ("page[number]=0", "page[number]='0' is not a positive whole number."),
        ("page[number]=x", "page[number]='x' is not a positive whole number."),
        ("page[number]=", "page[number] has no value."),
        ("page[number]=1e3", "page[number]='1e3' is not a positive whole number."),
        ("page[number]=12345678901", "page[number]=12345678901 is above 999999999."),
        (
            "page[cursor]=abc",
            "page[cursor] is not supported: pages are page[number] and page[size].",
        ),
        ("sort=code&sort=name", "sort is given 2 times (code, name); give it once."),
        ("filter[type]=R&filter[type]=D", "filter[type] is given 2 times (R, D); give it once."),
        ("sort=", "sort has no value."),
        (
            "sort=--code",
            "sort=--code: locations sorts by code, name, type (- before one for descending), "
            "not '--code'.",
        ),
        ("sort=code,-code", "sort=code,-code: code is given twice."),
        (
            "include=parent,",
            "include=parent,: locations has no relationship '' (relationships: parent, payers).",
        ),
        (
            "colour=red",
            "colour is not a query parameter here (include, fields[TYPE], sort, page[number], "
            "page[size], filter[NAME]).",
        ),
        (
            "filter[payers.name]=x",
            "filter[payers.name]: locations has no filter 'payers.name' (filters: code, "
            "code.startswith, name, name.icontains, type, type.in, parent.uuid, search).",
        ),
        ("filter[parent.uuid]=nope", "filter[parent.uuid]=nope: Enter a valid UUID."),
    ],
)
def test_jsonapi_parameters_are_refused_by_name(admin_client, query, detail):
    error = api_error(admin_client, f"/api/locations?{query}")
    assert error["source"] == {"parameter": query.partition("=")[0]}
    assert error["detail"] == detail


def test_jsonapi_page_past_the_last_is_an_empty_page(admin_client, chain):
    """JSON:API 1.1: a collection, empty or not, is 200 (404 is for a single resource)."""
    response = admin_client.get("/api/locations?page[size]=3&page[number]=3")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["data"] == []
    assert body["meta"]["pagination"] == {"page": 3, "pages": 2, "count": 4}


def test_jsonapi_an_empty_sparse_fieldset_asks_for_no_field(admin_client, chain):
    body = admin_client.get("/api/locations?fields[locations]=&filter[code]=R0").json()
    assert body["data"] == [{"type": "locations", "id": str(chain["R0"].uuid)}]


def test_jsonapi_an_empty_include_includes_nothing(admin_client, chain):
    body = admin_client.get("/api/locations?include=&filter[code]=R0D").json()
    assert [item["id"] for item in body["data"]] == [str(chain["R0D"].uuid)]
    assert "included" not in body


@pytest.mark.parametrize("query", ["sort=code", "filter[code]=R0", "page[size]=2"])
def test_jsonapi_single_resources_refuse_collection_parameters(admin_client, chain, query):
    parameter = query.partition("=")[0]
    family = parameter.partition("[")[0]
    for url in (
        f"/api/locations/{chain['R0D'].uuid}?{query}",
        f"/api/locations/{chain['R0D'].uuid}/parent?{query}",
    ):
        error = api_error(admin_client, url)
        assert error["source"] == {"parameter": parameter}
        assert error["detail"] == (
            f"{parameter}: a single resource has no {family}; "
            "only include and fields[TYPE] apply here."
        )


def test_jsonapi_related_collections_filter_sort_and_page_the_related_rows(admin_client, chain):
    region = chain["R0"]
    for name in ("Zeta payer", "Alpha payer", "Mid payer"):
        Payer.objects.create(name=name, type="D", location=region)
    base = f"/api/locations/{region.uuid}/payers"

    def names(query: str) -> list[str]:
        body = admin_client.get(f"{base}?{query}").json()
        return [item["attributes"]["name"] for item in body["data"]]

    assert names("sort=-name") == ["Zeta payer", "Payer of R0", "Mid payer", "Alpha payer"]
    assert names("sort=name&page[size]=2&page[number]=2") == ["Payer of R0", "Zeta payer"]
    assert names("filter[name.icontains]=payer&filter[type]=D&sort=name") == [
        "Alpha payer",
        "Mid payer",
        "Zeta payer",
    ]
    assert names("filter[search]=alpha") == ["Alpha payer"]
    # the related type's parameters, not the owner's: locations filter by code, payers not
    error = api_error(admin_client, f"{base}?filter[code]=R0")
    assert error["source"] == {"parameter": "filter[code]"}
    assert error["detail"].startswith("filter[code]: payers has no filter 'code' (filters: name,")


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.api+json;q=0",
        "application/vnd.api+json;q=0, */*",
        "application/vnd.api+json; q=0.000, text/html",
        "*/*;q=0",
        "application/*;q=0, text/html",
    ],
)
def test_jsonapi_accept_weighing_the_media_type_zero_is_406(admin_client, accept):
    response = admin_client.get("/api/locations", headers={"Accept": accept})
    assert response.status_code == 406, response.content
    (error,) = response.json()["errors"]
    assert error["detail"].startswith(f"Accept: {accept} weighs application/vnd.api+json q=0")


@pytest.mark.parametrize(
    "accept", ["application/vnd.api+json;q=0.5", "*/*;q=0, application/vnd.api+json"]
)
def test_jsonapi_accept_with_a_positive_weight_is_served(admin_client, accept):
    response = admin_client.get("/api/locations", headers={"Accept": accept})
    assert response.status_code == 200, response.content


# -- FHIR ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "diagnostics"),
    [
        ("_count=1&_count=2", "_count is given 2 times (1, 2); give it once"),
        ("_offset=0&_offset=5", "_offset is given 2 times (0, 5); give it once"),
        ("_sort=name&_sort=-name", "_sort is given 2 times (name, -name); give it once"),
        ("_total=none&_total=none", "_total is given 2 times (none, none); give it once"),
        ("_format=json&_format=xml", "_format is given 2 times (json, xml); give it once."),
        ("_count=", "_count has no value."),
        ("_sort=", "_sort has no value."),
        ("_count=-1", "_count='-1' is not a whole number from 0 to 999999999."),
        ("_offset=1.5", "_offset='1.5' is not a whole number from 0 to 999999999."),
        ("_offset=1234567890", "_offset='1234567890' is not a whole number from 0 to 999999999."),
        (
            "_sort=name,",
            "_sort=name,: sort by one of _id, _lastUpdated, identifier, name, type "
            "(prefix - to reverse), not ''.",
        ),
        ("_sort=name,-name", "_sort=name,-name: name is given twice."),
        ("_summary=bogus", "_summary=bogus: use true, text, data, count, false."),
        ("_summary=count&_elements=name", "_elements and _summary=count: give one of them."),
        ("_elements=name,colour", "_elements=name,colour: Location has no element 'colour'"),
        (
            "_include=Location:partof:Organization",
            "_include=Location:partof:Organization: Location:partof refers to Location, "
            "not Organization.",
        ),
        (
            "_include=Location:partof:",
            "_include=Location:partof:: no target type after Location:partof:.",
        ),
        (
            "_lastUpdated=ge9999-12-31",
            "_lastUpdated=ge9999-12-31: '9999-12-31' is out of range (years 1 to 9999, in UTC).",
        ),
        (
            "_lastUpdated=0001-01-01T00:00:00%2B05:00",
            "_lastUpdated=0001-01-01T00:00:00+05:00: '0001-01-01T00:00:00+05:00' is out of "
            "range (years 1 to 9999, in UTC).",
        ),
        ("name:bogus=x", "name:bogus=x: The modifier :bogus is not supported on a string."),
        ("partof=nope", "partof=nope: 'nope': the id of a Location is a uuid."),
    ],
)
def test_fhir_search_parameters_are_refused_by_name(admin_client, query, diagnostics):
    assert fhir_problem(admin_client, f"/fhir/Location?{query}").startswith(diagnostics)


@pytest.mark.parametrize(
    ("read", "diagnostics"),
    [
        ("?_count=5", "_count is not a parameter of a read (parameters: _format, "),
        ("?_summary=count", "_summary=count: use true, text, data, false."),
        ("/_history?_since=2020-01-01", "_since is not a parameter of a history read"),
        ("/_history/1?_count=1", "_count is not a parameter of a version read"),
        ("/_history/1?_elements=name&_elements=id", "_elements is given 2 times"),
        ("?_summary=", "_summary has no value."),
    ],
)
def test_fhir_read_parameters_are_refused_by_name(admin_client, chain, read, diagnostics):
    """``read``: what follows the location's URL (a read, its history, a version)."""
    url = f"/fhir/Location/{chain['R0D'].uuid}{read}"
    assert fhir_problem(admin_client, url).startswith(diagnostics)


def test_fhir_metadata_takes_no_other_parameter(client):
    assert fhir_problem(client, "/fhir/metadata?mode=terminology") == (
        "mode is not a parameter of the capability statement (parameters: _format, _pretty)."
    )


def test_fhir_summary_count_is_the_total_alone(admin_client, chain, count_queries):
    response, captured = count_queries(admin_client.get, "/fhir/Location?_summary=count")
    body = validated(response.json())
    assert body == {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": [
            {
                "relation": "self",
                "url": "http://testserver/fhir/Location?_summary=count&_count=100&_offset=0",
            }
        ],
        "total": 4,
    }
    assert len(captured) == 2 + 1  # session and user, the count


def test_fhir_summary_and_elements_subset_each_resource(admin_client, chain):
    district = chain["R0D"]
    full = admin_client.get(f"/fhir/Location/{district.uuid}").json()
    assert "partOf" in full and "tag" not in full["meta"]

    summary = validated(admin_client.get(f"/fhir/Location/{district.uuid}?_summary=true").json())
    assert sorted(summary) == [
        "id",
        "identifier",
        "meta",
        "mode",
        "name",
        "physicalType",
        "resourceType",
        "status",
    ]  # partOf and the extensions are not summary elements of R4's Location
    assert summary["meta"] == {**full["meta"], "tag": [SUBSETTED]}

    url = f"/fhir/Location?_id={district.uuid}&_elements=name,partOf&_include=Location:partof"
    bundle = validated(admin_client.get(url).json())
    for entry in bundle["entry"]:
        assert set(entry["resource"]) <= {"resourceType", "id", "meta", "name", "partOf"}
        assert entry["resource"]["meta"]["tag"] == [SUBSETTED]
    assert bundle["entry"][0]["resource"]["name"] == "District 0"

    data = admin_client.get(f"/fhir/Location/{district.uuid}?_summary=data").json()
    assert data == full  # nothing to leave out: no narrative is served


def test_fhir_search_reads_each_parameter_once_per_bundle(admin_client, chain, monkeypatch):
    """Page, total and the count of an empty page reuse one reading of the parameters."""
    calls = []
    common = fhir_search.COMMON_PARAMS["_id"]

    def counted(queryset, value, modifier):
        calls.append(value)
        return common.apply(queryset, value, modifier)

    monkeypatch.setitem(
        fhir_search.COMMON_PARAMS, "_id", SearchParam("token", counted, common.documentation)
    )
    missing = "00000000-0000-0000-0000-000000000000"
    body = admin_client.get(f"/fhir/Location?_id={chain['R0'].uuid},{missing}").json()
    assert body["total"] == 1
    assert calls == [str(chain["R0"].uuid), missing]
    calls.clear()
    assert admin_client.get(f"/fhir/Location?_id={missing}").json()["total"] == 0  # empty page
    assert calls == [missing]


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_fhir_unknown_types_are_404_whatever_the_method(admin_client, method):
    response = getattr(admin_client, method)("/fhir/Foo", "{}", content_type=FHIR_JSON)
    assert response.status_code == 404
    assert validated(response.json())["issue"][0]["diagnostics"] == (
        "Resource type 'Foo' is not served here; see /fhir/metadata."
    )


def test_fhir_a_method_a_served_type_has_not_is_405_with_allow(admin_client):
    response = admin_client.put("/fhir/Location", "{}", content_type=FHIR_JSON)
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST, HEAD"


@pytest.mark.parametrize(
    "path",
    ["/fhir/metadata", "/fhir/Location", "/fhir/Location/_search", "/fhir/Foo", "{location}"],
)
@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_fhir_options_is_a_405_outcome_everywhere(client, admin_client, chain, path, who):
    # OPTIONS is no FHIR R4 interaction (it was a 500: DRF's metadata had no renderer)
    path = path.format(location=f"/fhir/Location/{chain['R0D'].uuid}/_history/1")
    response = (client if who == "anonymous" else admin_client).options(path)
    body = validated(response.json())
    assert body["resourceType"] == "OperationOutcome"
    if path == "/fhir/Foo":
        assert response.status_code == 404  # an unknown type, whatever the method
    else:
        assert response.status_code == 405
        assert "OPTIONS" not in response["Allow"] and "GET" in response["Allow"]


@pytest.mark.parametrize(
    "url",
    [
        "/fhir/Location?name=%C0%80",
        "/fhir/Location?identifier=%ED%A0%80",
        "/fhir/Location/{district}?_elements=%FF",
        "/api/locations?filter[search]=%C0%80",
        "/api/locations/{district}/payers?filter[name]=%FFa",
    ],
)
def test_percent_escapes_that_are_not_utf8_are_refused_by_name(admin_client, chain, url):
    # Django reads them as U+FFFD: the value would silently become another
    url = url.format(district=chain["R0D"].uuid)
    name = url.split("?")[1].split("=")[0]
    if url.startswith("/fhir"):
        assert fhir_problem(admin_client, url) == (
            f"{name}: the percent-escapes do not encode UTF-8 text."
        )
    else:
        error = api_error(admin_client, url)
        assert error["source"] == {"parameter": name}
        assert error["detail"] == f"{name}: the percent-escapes do not encode UTF-8 text."


@pytest.mark.parametrize(
    ("query", "parameter", "detail"),
    [
        ("filter[code]=%20", "filter[code]", "filter[code] has no value."),
        ("filter[name.icontains]=%09", "filter[name.icontains]", None),
        ("filter[search]=%20%20", "filter[search]", None),
        ("filter[parent.uuid]=%20", "filter[parent.uuid]", None),
        ("filter[type.in]=,", "filter[type.in]", "filter[type.in]=,: an item is empty."),
        ("filter[type.in]=R,,D", "filter[type.in]", "filter[type.in]=R,,D: an item is empty."),
    ],
)
def test_jsonapi_blank_filter_values_are_refused(admin_client, chain, query, parameter, detail):
    # they were no-ops: every row matched (a blank value) or an item was dropped
    error = api_error(admin_client, f"/api/locations?{query}")
    assert error["source"] == {"parameter": parameter}
    assert error["detail"] == (detail or f"{parameter} has no value.")


NUL = "contains a NUL character (\\u0000), which no filter accepts."


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("filter[search]=%00", "filter[search]"),
        ("filter[search]=a%00", "filter[search]"),
        ("filter[name]=%00", "filter[name]"),
        ("filter[name.icontains]=x%00y", "filter[name.icontains]"),
        ("filter[type.in]=R,%00", "filter[type.in]"),
    ],
)
def test_jsonapi_a_nul_in_a_filter_is_refused_naming_it(admin_client, chain, query, parameter):
    # filter[search]=%00 was DRF's "Null characters are not allowed." with no
    # source.parameter: the search was checked when applied, after the query string
    error = api_error(admin_client, f"/api/locations?{query}")
    assert (error["detail"], error["source"]) == (f"{parameter} {NUL}", {"parameter": parameter})


def test_jsonapi_a_blank_filter_of_a_related_collection_is_refused(admin_client, chain):
    error = api_error(admin_client, f"/api/locations/{chain['R0D'].uuid}/payers?filter[name]=%20")
    assert error == {
        "status": "400",
        "code": error["code"],
        "detail": "filter[name] has no value.",
        "source": {"parameter": "filter[name]"},
    }


def _village(parent: Location, code: str) -> str:
    return json.dumps(village(code, str(parent.uuid)))


def test_fhir_prefer_return_on_create_and_update(admin_client, chain):
    ward = chain["R0DW"]

    def create(code: str, prefer: str):
        return admin_client.post(
            "/fhir/Location",
            _village(ward, code),
            content_type=FHIR_JSON,
            headers={"Prefer": prefer},
        )

    minimal = create("V1", "return=minimal")
    assert (minimal.status_code, minimal.content) == (201, b"")
    assert minimal["Preference-Applied"] == "return=minimal"
    assert minimal["ETag"] == 'W/"1"'
    created = Location.objects.get(code="V1", validity_to__isnull=True)
    assert minimal["Location"].endswith(f"/fhir/Location/{created.uuid}/_history/1")

    told = create("V2", 'respond-async, return="OperationOutcome"')
    assert told.status_code == 201
    assert told["Preference-Applied"] == "return=OperationOutcome"
    village = Location.objects.get(code="V2", validity_to__isnull=True)
    assert validated(told.json())["issue"] == [
        {
            "severity": "information",
            "code": "informational",
            "diagnostics": f"Created Location/{village.uuid} (version 1).",
        }
    ]

    whole = create("V3", "return=representation")
    assert whole.status_code == 201
    assert whole["Preference-Applied"] == "return=representation"
    assert validated(whole.json())["name"] == "Village V3"

    body = json.loads(_village(ward, "V2"))
    updated = admin_client.put(
        f"/fhir/Location/{village.uuid}",
        json.dumps({**body, "id": str(village.uuid), "name": "Renamed"}),
        content_type=FHIR_JSON,
        headers={"Prefer": "return=OperationOutcome"},
    )
    assert updated.status_code == 200
    assert updated.json()["issue"][0]["diagnostics"] == (
        f"Updated Location/{village.uuid} (version 2)."
    )


@pytest.mark.parametrize(
    ("prefer", "diagnostics"),
    [
        (
            "return=everything",
            "Prefer: return=everything: use return=minimal, return=representation or "
            "return=OperationOutcome (FHIR R4 http.html#ops).",
        ),
        (
            "return=minimal, return=representation",
            "Prefer: return is given as minimal and representation; give one.",
        ),
    ],
)
def test_fhir_an_unusable_prefer_writes_nothing(admin_client, chain, prefer, diagnostics):
    before = Location.objects.count()
    response = admin_client.post(
        "/fhir/Location",
        _village(chain["R0DW"], "V9"),
        content_type=FHIR_JSON,
        headers={"Prefer": prefer},
    )
    assert response.status_code == 400
    assert validated(response.json())["issue"][0]["diagnostics"] == diagnostics
    assert Location.objects.count() == before


def test_fhir_writes_take_no_search_parameter(admin_client, chain):
    before = Location.objects.count()
    response = admin_client.post(
        "/fhir/Location?_count=1", _village(chain["R0DW"], "V8"), content_type=FHIR_JSON
    )
    assert response.status_code == 400
    assert response.json()["issue"][0]["diagnostics"] == (
        "_count is not a parameter of a write (parameters: _format, _pretty)."
    )
    assert Location.objects.count() == before


# -- _pretty, Prefer: handling, _summary=count with _total --------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/fhir/Location?_count=1&_pretty=true", 200),
        ("get", "/fhir/Location/{R0D}?_pretty=true", 200),
        ("get", "/fhir/Location/{R0D}/_history?_pretty=true", 200),
        ("get", "/fhir/Location/{R0D}/_history/1?_pretty=true", 200),
        ("get", "/fhir/metadata?_pretty=true", 200),
        ("get", "/fhir/Location/00000000-0000-0000-0000-00000000beef?_pretty=true", 404),
        ("get", "/fhir/Location?colour=red&_pretty=true", 400),
        ("get", "/fhir/Location/x/y/z/w?_pretty=true", 404),  # no interaction there
        ("post", "/fhir/Location/_search?_pretty=true", 200),
        ("post", "/fhir/Location?_pretty=true", 201),
    ],
)
def test_fhir_pretty_true_indents_every_response(admin_client, chain, method, path, status):
    """R4 http.html#parameters: _pretty=true asks for a pretty-printed response."""
    url = path.format(R0D=chain["R0D"].uuid)

    def sent(url: str):
        if "_search" in url:
            return admin_client.post(
                url, "_count=1", content_type="application/x-www-form-urlencoded"
            )
        if method == "post":
            return admin_client.post(url, _village(chain["R0DW"], url[-4:]), content_type=FHIR_JSON)
        return admin_client.get(url)

    pretty = sent(url)
    assert pretty.status_code == status, pretty.content
    body = validated(pretty.json())
    assert pretty.content.decode() == json.dumps(body, ensure_ascii=False, indent=2)
    compact = sent(url.replace("_pretty=true", "_pretty=false"))
    assert compact.status_code == status
    assert compact.content.decode() == json.dumps(compact.json(), ensure_ascii=False)
    assert "\n" not in compact.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/fhir/Location?_pretty=yes", "/fhir/Location/{R0D}?_pretty=1", "/fhir/metadata?_pretty=TRUE"],
)
def test_fhir_pretty_takes_true_or_false(admin_client, chain, path):
    url = path.format(R0D=chain["R0D"].uuid)
    value = url.rpartition("=")[2]
    assert fhir_problem(admin_client, url) == f"_pretty={value}: use true or false."


def test_fhir_pretty_in_a_search_body_counts(admin_client, chain):
    response = admin_client.post(
        "/fhir/Location/_search",
        "_pretty=true&_count=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.content.decode() == json.dumps(response.json(), ensure_ascii=False, indent=2)


LENIENT = {"Prefer": "handling=lenient"}


def test_fhir_lenient_handling_ignores_unknown_search_parameters(admin_client, chain):
    """R4 search.html#errors: lenient ignores unknown parameters, strict (the default)
    refuses them; the self link holds the parameters used (search.html#selflink)."""
    url = "/fhir/Location?colour=red&name=District&_bogus=1"
    refused = "Unknown search parameter 'colour' for Location (supported: _id, _lastUpdated, "
    assert fhir_problem(admin_client, url).startswith(refused)
    strict = admin_client.get(url, headers={"Prefer": "handling=strict"})
    assert strict.status_code == 400
    assert strict["Preference-Applied"] == "handling=strict"

    response = admin_client.get(url, headers=LENIENT)
    assert response.status_code == 200, response.content
    assert response["Preference-Applied"] == "handling=lenient"
    bundle = validated(response.json())
    assert bundle["total"] == 1
    assert bundle["link"] == [
        {
            "relation": "self",
            "url": "http://testserver/fhir/Location?name=District&_count=100&_offset=0",
        }
    ]
    assert [e["resource"].get("name") for e in bundle["entry"]] == ["District 0", None]
    assert bundle["entry"][1] == {
        "resource": {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "warning",
                    "code": "not-supported",
                    "diagnostics": "Ignored: _bogus, colour.",
                }
            ],
        },
        "search": {"mode": "outcome"},
    }


@pytest.mark.parametrize(
    ("query", "diagnostics"),
    [
        ("colour=red&_count=-1", "_count='-1' is not a whole number from 0 to 999999999."),
        ("colour=red&partof=nope", "partof=nope: 'nope': the id of a Location is a uuid."),
        (
            "colour=red&name:bogus=x",
            "name:bogus=x: The modifier :bogus is not supported on a string.",
        ),
        ("colour=red&_count=1&_count=2", "_count is given 2 times (1, 2); give it once."),
    ],
)
def test_fhir_lenient_handling_still_refuses_malformed_values(
    admin_client, chain, query, diagnostics
):
    response = admin_client.get(f"/fhir/Location?{query}", headers=LENIENT)
    assert response.status_code == 400
    assert validated(response.json())["issue"][0]["diagnostics"] == diagnostics


@pytest.mark.parametrize(
    ("prefer", "diagnostics"),
    [
        (
            "handling=loose",
            "Prefer: handling=loose: use handling=strict or handling=lenient "
            "(FHIR R4 search.html#errors).",
        ),
        (
            "handling=strict, handling=lenient",
            "Prefer: handling is given as lenient and strict; give one.",
        ),
    ],
)
def test_fhir_an_unusable_handling_preference_is_refused(admin_client, prefer, diagnostics):
    response = admin_client.get("/fhir/Location", headers={"Prefer": prefer})
    assert response.status_code == 400
    assert validated(response.json())["issue"][0]["diagnostics"] == diagnostics


def test_fhir_summary_count_with_total_none_is_refused(admin_client, chain):
    """_summary=count asks for the total alone (R4 search.html#summary), _total=none for
    no total (#total): contradictory, refused rather than guessed."""
    assert fhir_problem(admin_client, "/fhir/Location?_summary=count&_total=none") == (
        "_summary=count and _total=none: give one of them (_summary=count is the total "
        "alone, _total=none asks for no total)."
    )
    for total in ("accurate", "estimate"):
        body = admin_client.get(f"/fhir/Location?_summary=count&_total={total}").json()
        assert (body["total"], "entry" in body) == (4, False)


# -- one checker of repeated and empty parameters on both surfaces --------------------------


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/fhir/Location?_summary=true&_summary=data", "_summary is given 2 times (true, data)"),
        (
            "/fhir/Location/{R0D}?_summary=true&_summary=data",
            "_summary is given 2 times (true, data)",
        ),
        ("/fhir/metadata?_format=json&_format=json", "_format is given 2 times (json, json)"),
        ("/fhir/Location?_format=json&_format=xml", "_format is given 2 times (json, xml)"),
        ("/api/locations?sort=code&sort=name", "sort is given 2 times (code, name)"),
        (
            "/api/locations/{R0D}?include=parent&include=payers",
            "include is given 2 times (parent, payers)",
        ),
        ("/fhir/Location?_sort=%20", "_sort has no value"),
        ("/fhir/Location/{R0D}?_elements=%20", "_elements has no value"),
        ("/api/locations?sort=%20", "sort has no value"),
    ],
)
def test_repeated_and_empty_parameters_get_one_message_on_every_surface(
    admin_client, chain, url, detail
):
    """One checker (backend/query_string.py values_of), one message, each surface's format."""
    url = url.format(R0D=chain["R0D"].uuid)
    expected = f"{detail}; give it once." if "given" in detail else f"{detail}."
    if url.startswith("/fhir"):
        assert fhir_problem(admin_client, url) == expected
    else:
        error = api_error(admin_client, url)
        assert error["detail"] == expected
        assert error["source"] == {"parameter": detail.split()[0]}


# -- generated query strings ---------------------------------------------------------------

_NAMES = [
    "include",
    "sort",
    "fields[locations]",
    "fields[payers]",
    "fields[bogus]",
    "fields",
    "page[number]",
    "page[size]",
    "page[cursor]",
    "page",
    "filter[type]",
    "filter[type.in]",
    "filter[code.startswith]",
    "filter[parent.uuid]",
    "filter[payers.name]",
    "filter[search]",
    "filter",
    "_count",
    "_offset",
    "_sort",
    "_total",
    "_summary",
    "_elements",
    "_include",
    "_include:iterate",
    "_revinclude",
    "_format",
    "_pretty",
    "_id",
    "_lastUpdated",
    "name",
    "name:contains",
    "identifier",
    "partof",
    "type",
    "location",
]
_VALUES = [
    "",
    "0",
    "1",
    "-1",
    "2",
    "99999999999999999999",
    "1e3",
    "code",
    "-code",
    "name,-name",
    "parent",
    "parent.payers",
    "payers",
    "R,D",
    "Q",
    "count",
    "true",
    "json",
    "xml",
    "Location:partof",
    "Location:partof:Organization",
    "Organization:location",
    "ge9999-12-31",
    "lt0001-01-01",
    "2026-01-01",
    "00000000-0000-0000-0000-000000000000",
    "Location/00000000-0000-0000-0000-000000000000",
    ",",
    "name,partOf",
]
_PAIRS = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(_NAMES), st.text(min_size=1, max_size=12)),
        st.one_of(st.sampled_from(_VALUES), st.text(max_size=12)),
    ),
    max_size=5,
)
_FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _well_formed_jsonapi(response) -> None:
    assert response.status_code < 500, response.content
    body = response.json()
    if response.status_code >= 400:
        for error in body["errors"]:
            assert error["status"] == str(response.status_code)
            assert error["detail"]
        if response.status_code == 400:
            (error,) = body["errors"]
            assert set(error.get("source", {})) <= {"parameter"}
    else:
        assert "data" in body


def _well_formed_fhir(response) -> None:
    assert response.status_code < 500, response.content
    body = validated(response.json())
    if response.status_code >= 400:
        assert body["resourceType"] == "OperationOutcome"
        assert all(issue["diagnostics"] for issue in body["issue"])
    else:
        assert body["resourceType"] in ("Bundle", "Location")


@given(pairs=_PAIRS)
@_FUZZ
def test_generated_query_strings_get_a_page_or_a_named_refusal(admin_client, chain, pairs):
    query = urlencode(pairs)
    district = chain["R0D"].uuid
    with transaction.atomic():
        for url in (
            f"/api/locations?{query}",
            f"/api/locations/{district}/payers?{query}",
            f"/api/locations/{district}?{query}",
        ):
            _well_formed_jsonapi(admin_client.get(url))
        for url in (f"/fhir/Location?{query}", f"/fhir/Location/{district}?{query}"):
            _well_formed_fhir(admin_client.get(url))
        transaction.set_rollback(True)


_RAW = st.lists(
    st.tuples(
        st.one_of(st.sampled_from([n.encode() for n in _NAMES]), st.binary(min_size=1, max_size=8)),
        st.binary(max_size=8),
    ),
    min_size=1,
    max_size=3,
)


@given(pairs=_RAW, method=st.sampled_from(["get", "options", "head"]))
@_FUZZ
def test_generated_bytes_and_methods_get_an_answer_or_a_named_refusal(
    admin_client, chain, pairs, method
):
    # any bytes, percent-escaped (UTF-8 or not), under any method the clients send
    query = "&".join(f"{quote_from_bytes(n)}={quote_from_bytes(v)}" for n, v in pairs)
    with transaction.atomic():
        for url in (f"/api/locations?{query}", f"/fhir/Location?{query}"):
            response = getattr(admin_client, method)(url)
            assert response.status_code < 500, (url, response.content)
            if method != "head" and url.startswith("/fhir"):
                _well_formed_fhir(response)
            elif method == "get":
                _well_formed_jsonapi(response)
        transaction.set_rollback(True)
