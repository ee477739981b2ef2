"""A real FHIR client (fhirpy) against a live server: read, search, page, include, create,
update (with a current and a stale ETag) and delete, with an OAuth2 bearer token."""

from __future__ import annotations

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler, _StaticFilesHandler
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import MultipleResourcesFound, OperationOutcome, ResourceNotFound

from modules.location.models import Location
from modules.payer.models import Payer
from tests.api_helpers import bearer_token, validated
from tests.servers import port_range

pytestmark = pytest.mark.django_db(transaction=True)
IDENT = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/openimis-identifiers"
LOC_TYPE = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/location-type"


#: Ports this test's server may use: the range of servers started by tests (``TEST_PORTS``).
PORTS = port_range()


class SingleThreadedLiveServer(LiveServerThread):
    """Django's live server handling requests in its own thread, one after the other: the
    threaded one closes the shared in-memory SQLite connection from each request's thread,
    which SQLite refuses once the test is over (unhandled thread exceptions)."""

    def _create_server(self, connections_override=None):
        return WSGIServer(
            (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False
        )


@pytest.fixture
def server_url(transactional_db):
    """A live server on the test database, on a free port of ``PORTS``."""
    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    for connection in shared.values():
        connection.inc_thread_sharing()
    for port in PORTS:
        thread = SingleThreadedLiveServer("127.0.0.1", _StaticFilesHandler, shared, port=port)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error is None:
            break
        thread.join()
    else:
        raise RuntimeError(f"No free port in {PORTS.start}-{PORTS.stop - 1}.")
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()
    for connection in shared.values():
        connection.dec_thread_sharing()


@pytest.fixture
def fhir(server_url, make_user) -> SyncFHIRClient:
    token = bearer_token(make_user("service", superuser=True), "read write", "fhir-token")
    return SyncFHIRClient(f"{server_url}/fhir", authorization=f"Bearer {token}")


def test_fhirpy_reads_searches_pages_and_includes(fhir, make_chains):
    make_chains(5)
    assert validated(fhir.execute("metadata", method="get"))["fhirVersion"] == "4.0.1"

    villages = fhir.resources("Location").search(type="V").limit(2)
    assert villages.count() == 5
    every = villages.fetch_all()  # follows the bundle's next links: 3 pages
    assert [v["name"] for v in every] == [f"Village {i}" for i in range(5)]
    for village in every:
        validated(village.serialize())

    village = fhir.reference("Location", every[3]["id"]).to_resource()
    assert village["identifier"][1]["value"] == "R3DWV"
    ward = village["partOf"].to_resource()
    assert (ward["name"], ward["physicalType"]["coding"][0]["code"]) == ("Ward 3", "W")

    bundle = fhir.resources("Location").search(type="V", name="Village 2").include(
        "Location", "partof", iterate=True
    ).fetch_raw()  # fmt: skip
    for entry in bundle["entry"]:
        validated(entry["resource"].serialize())
    assert [e["resource"]["name"] for e in bundle["entry"]] == [
        "Village 2", "Ward 2", "District 2", "Region 2",
    ]  # fmt: skip

    payers = fhir.resources("Location").search(type="R", name="Region 4").revinclude(
        "Organization", "location"
    ).fetch_raw()  # fmt: skip
    assert [e["resource"].get("name") for e in payers["entry"]] == ["Region 4", "Payer of R4"]

    with pytest.raises(ResourceNotFound):
        fhir.reference("Location", "00000000-0000-0000-0000-000000000000").to_resource()


def test_fhirpy_creates_updates_and_deletes(fhir, make_chains):
    make_chains(1)
    district = Location.objects.get(code="R0D")
    payer = fhir.resource(
        "Organization",
        name="Rice growers' co-operative",
        type=[
            {"coding": [{"system": "urn:openimis-graphql:fhir:CodeSystem:payer-type", "code": "C"}]}
        ],
        telecom=[{"system": "phone", "value": "+855 12 345 678"}],
        extension=[
            {
                "url": "urn:openimis-graphql:fhir:StructureDefinition:organization-location",
                "valueReference": {"reference": f"Location/{district.uuid}"},
            }
        ],
    )
    payer.save()  # POST
    assert payer["meta"]["versionId"] == "1"
    row = Payer.objects.get(uuid=payer.id)
    assert (row.name, row.type, row.phone, row.location_id) == (
        "Rice growers' co-operative", "C", "+855 12 345 678", district.pk,
    )  # fmt: skip

    payer["telecom"].append({"system": "email", "value": "rice@coop.kh"})
    payer.save()  # PUT
    assert payer["meta"]["versionId"] == "2"
    assert Payer.objects.get(pk=row.pk).email == "rice@coop.kh"
    assert Payer.objects.filter(legacy=row, email=None).count() == 1  # the history row

    # optimistic locking: If-Match with the current version passes, a stale one is refused
    body = payer.serialize()
    body["name"] = "Rice growers"
    path = f"Organization/{payer.id}"
    updated = fhir._do_request("put", path, data=body, extra_headers={"If-Match": 'W/"2"'})
    assert updated["meta"]["versionId"] == "3"
    body["name"] = "Stale name"
    with pytest.raises(MultipleResourcesFound) as stale:  # fhirpy's exception for a 412
        fhir._do_request("put", path, data=body, extra_headers={"If-Match": 'W/"2"'})
    assert "does not match the current version" in str(stale.value)
    assert Payer.objects.get(pk=row.pk).name == "Rice growers"

    with pytest.raises(OperationOutcome) as refused:
        fhir.resource("Organization", type=payer["type"]).save()  # no name
    assert "The name is required." in str(refused.value)

    payer.delete()
    assert Payer.objects.get(pk=row.pk).validity_to is not None
    with pytest.raises(ResourceNotFound):  # 410 Gone
        fhir.reference("Organization", payer.id).to_resource()
    history = fhir.execute(f"Organization/{payer.id}/_history", method="get")
    # the delete is version 4, an entry without a resource (R4 http.html#history)
    entries = validated(history)["entry"]
    assert [(e["request"]["method"], e["response"]["etag"]) for e in entries] == [
        ("DELETE", 'W/"4"'), ("PUT", 'W/"3"'), ("PUT", 'W/"2"'), ("POST", 'W/"1"'),
    ]  # fmt: skip
    assert [e["resource"]["meta"]["versionId"] for e in entries[1:]] == ["3", "2", "1"]
