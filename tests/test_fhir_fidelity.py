"""FHIR writes keep what was sent or refuse it: a PUT of what was read changes nothing,
an element the server cannot store is a 422 naming it, a reference to another server is
refused; FHIR words its own refusals of a delete."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from modules.location.models import Location
from modules.payer import services as payer_services
from modules.payer.models import Payer
from tests.api_helpers import send, validated, village

pytestmark = pytest.mark.django_db
IDENT = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/openimis-identifiers"
LOC_TYPE = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/location-type"
PAYER_TYPE = "urn:openimis-graphql:fhir:CodeSystem:payer-type"
ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"


def issue_of(response, status: int) -> tuple[str, str, list[str]]:
    """The one issue of the OperationOutcome ``response`` (with ``status``): code,
    diagnostics, expression."""
    assert response.status_code == status, response.content
    (issue,) = validated(response.json())["issue"]
    return issue["code"], issue["diagnostics"], issue.get("expression", [])


def rows(model) -> list[tuple]:
    return list(model.objects.order_by("pk").values_list())


def test_a_put_of_what_was_read_keeps_empty_values_and_makes_no_version(admin, chain):
    user = User.objects.get(username="admin")
    values = {"name": "Empty co-op", "type": "C", "phone": "", "email": "", "fax": "",
              "address": ""}  # fmt: skip
    payer = payer_services.create_payer(values, location=chain["R0"].uuid, user=user)
    read = admin.get(f"/fhir/Organization/{payer.uuid}").json()
    assert "telecom" not in read and "address" not in read  # FHIR has no ""
    before = rows(Payer)
    written = send(admin, "put", f"/fhir/Organization/{payer.uuid}", read)
    assert written.status_code == 200, written.content
    assert (written["ETag"], written.json()["meta"]["versionId"]) == ('W/"1"', "1")
    assert rows(Payer) == before  # nothing changed, no history row
    stored = Payer.objects.get(pk=payer.pk)
    assert (stored.phone, stored.email, stored.fax, stored.address) == ("", "", "", "")

    read["telecom"] = [{"system": "phone", "value": "+855 12 345"}]  # a value sent is stored
    assert send(admin, "put", f"/fhir/Organization/{payer.uuid}", read).status_code == 200
    stored = Payer.objects.get(pk=payer.pk)
    assert (stored.phone, stored.email) == ("+855 12 345", "")
    del read["telecom"]  # a stored value left out is cleared, as a PUT replaces it
    assert send(admin, "put", f"/fhir/Organization/{payer.uuid}", read).status_code == 200
    assert Payer.objects.get(pk=payer.pk).phone is None


def test_a_put_of_a_location_as_read_makes_no_version(admin, chain):
    key = chain["R0DW"].uuid
    read = admin.get(f"/fhir/Location/{key}").json()
    before = rows(Location)
    written = send(admin, "put", f"/fhir/Location/{key}", read)
    assert (written.status_code, written["ETag"]) == (200, 'W/"1"')
    assert rows(Location) == before


LOCATION_ELEMENTS = "id, meta, identifier, status, name, mode, physicalType, partOf, extension"


@pytest.mark.parametrize(
    ("change", "element", "message"),
    [
        ({"status": "inactive"}, "Location.status",
         'Location.status "inactive" cannot be stored: this server takes "active" only; a '
         "location is active while current: DELETE it to make it inactive."),
        ({"mode": "kind"}, "Location.mode", None),
        ({"alias": ["Old name"]}, "Location.alias",
         "Location.alias is not stored by this server (it would be lost); Location keeps "
         f"{LOCATION_ELEMENTS}."),
        ({"text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">'
                   "x</div>"}}, "Location.text", None),
        ({"_name": {"extension": [{"url": "urn:x", "valueString": "y"}]}}, "Location._name", None),
        ({"extension": [{"url": "urn:x", "valueInteger": 1}]}, "Location.extension[0].url",
         None),
        ({"identifier": [{"system": "urn:foo", "value": "NEWV",
                          "type": {"coding": [{"system": IDENT, "code": "Code"}]}}]},
         "Location.identifier[0].system", None),
    ],
)  # fmt: skip
def test_an_element_a_location_cannot_store_is_refused(admin, chain, change, element, message):
    body = {**village("NEWV", str(chain["R0DW"].uuid)), **change}
    before = rows(Location)
    code, diagnostics, expression = issue_of(send(admin, "post", "/fhir/Location", body), 422)
    assert (code, expression) == ("not-supported", [element])
    assert diagnostics.startswith(element)
    if message is not None:
        assert diagnostics == message
    assert rows(Location) == before  # nothing written


@pytest.mark.parametrize(
    ("change", "element"),
    [
        ({"active": False}, "Organization.active"),
        ({"telecom": [{"system": "phone", "value": "1", "use": "work"}]},
         "Organization.telecom[0].use"),
        ({"address": [{"text": "Main street", "city": "Phnom Penh"}]},
         "Organization.address[0].city"),
        ({"alias": ["Co-op"]}, "Organization.alias"),
    ],
)  # fmt: skip
def test_an_element_an_organization_cannot_store_is_refused(admin, chain, change, element):
    payer = Payer.objects.current().first()
    read = admin.get(f"/fhir/Organization/{payer.uuid}").json()
    before = rows(Payer)
    response = send(admin, "put", f"/fhir/Organization/{payer.uuid}", {**read, **change})
    code, diagnostics, expression = issue_of(response, 422)
    assert (code, expression) == ("not-supported", [element])
    if element == "Organization.active":
        assert diagnostics == (
            "Organization.active false cannot be stored: this server takes true only; a "
            "payer is active while current: DELETE it to end it."
        )
    assert rows(Payer) == before


def test_an_identifier_must_carry_the_type_that_says_what_it_holds(admin, chain):
    body = village("NEWV", str(chain["R0DW"].uuid))
    body["identifier"][0]["type"] = {"coding": [{"system": "urn:other", "code": "Code"}]}
    code, diagnostics, expression = issue_of(send(admin, "post", "/fhir/Location", body), 422)
    assert (code, expression) == ("invalid", ["Location.identifier[0]"])
    assert diagnostics == (
        "Location.identifier[0] ('NEWV') has no type this server stores it by: an "
        f"identifier here needs one type coding of {IDENT} "
        '("code": "UUID" for the id, "code": "Code" for the location\'s code).'
    )
    del body["identifier"][0]["type"]
    assert issue_of(send(admin, "post", "/fhir/Location", body), 422)[2] == [
        "Location.identifier[0]"
    ]
    uuid_typed = {"type": {"coding": [{"system": IDENT, "code": "UUID"}]},
                  "value": str(chain["R0"].uuid)}  # fmt: skip
    body = {**village("NEWV", str(chain["R0DW"].uuid))}
    body["identifier"].append(uuid_typed)
    code, diagnostics, expression = issue_of(send(admin, "post", "/fhir/Location", body), 422)
    assert expression == ["Location.identifier[1]"]
    assert "the server assigns the id" in diagnostics
    assert not Location.objects.filter(code="NEWV").exists()


def test_a_reference_to_another_server_is_refused(admin, chain):
    ward = chain["R0DW"].uuid
    body = village("NEWV", str(ward))
    body["partOf"] = {"reference": f"http://elsewhere.example/fhir/Location/{ward}"}
    code, diagnostics, expression = issue_of(send(admin, "post", "/fhir/Location", body), 422)
    assert (code, expression) == ("invalid", ["Location.partOf"])
    assert diagnostics == (
        f"Location.partOf: 'http://elsewhere.example/fhir/Location/{ward}' is not a "
        "reference to this server; a reference here names a Location of this server: "
        "Location/<id> or http://testserver/fhir/Location/<id>."
    )
    assert not Location.objects.filter(code="NEWV").exists()
    body["partOf"] = {"reference": f"http://testserver/fhir/Location/{ward}"}  # its own base
    created = send(admin, "post", "/fhir/Location", body)
    assert created.status_code == 201, created.content
    assert Location.objects.get(code="NEWV").parent_id == chain["R0DW"].pk
    far = {"reference": f"https://x.org/Location/{ward}"}
    payer = {"resourceType": "Organization", "name": "Far co-op",
             "type": [{"coding": [{"system": PAYER_TYPE, "code": "C"}]}],
             "extension": [{"url": "urn:openimis-graphql:fhir:StructureDefinition:"
                            "organization-location", "valueReference": far}]}  # fmt: skip
    assert issue_of(send(admin, "post", "/fhir/Organization", payer), 422)[0] == "invalid"
    assert not Payer.objects.filter(name="Far co-op").exists()
    searched = admin.get(f"/fhir/Location?partof=http://elsewhere.example/fhir/Location/{ward}")
    assert searched.status_code == 400
    own = admin.get(f"/fhir/Location?partof=http://testserver/fhir/Location/{ward}").json()
    assert own["total"] == 2  # the village of the chain and NEWV


def test_a_refused_delete_says_what_a_fhir_client_can_do(admin, chain):
    district = chain["R0D"]
    code, diagnostics, _ = issue_of(send(admin, "delete", f"/fhir/Location/{district.uuid}", ""),
                                    409)  # fmt: skip
    assert code == "business-rule"
    assert diagnostics == (
        f"{district} has 1 current child location(s); over FHIR, delete its children "
        "first or move them (PUT each with another partOf), then delete it; GraphQL's "
        "deleteLocation does either in one step (newParent, descendants)."
    )
    assert Location.objects.get(pk=district.pk).validity_to is None
    lone = Location.objects.create(code="R0E", name="District E", type="D", parent=chain["R0"])
    Payer.objects.create(name="Payer of R0E", type="G", location=lone)
    code, diagnostics, _ = issue_of(send(admin, "delete", f"/fhir/Location/{lone.uuid}", ""), 409)
    payer = Payer.objects.get(name="Payer of R0E")
    assert diagnostics == (
        f"{lone} still has 1 current payer(s): 'Payer of R0E' ({payer.uuid}); over FHIR, "
        "delete them or move them (PUT each Organization with another location) first, "
        "then delete it; GraphQL's deleteLocation does either in one step (references "
        "CASCADE or REASSIGN)."
    )
    assert Location.objects.get(pk=lone.pk).validity_to is None


def test_a_type_change_refused_for_its_children_keeps_the_services_advice(admin, chain):
    """HAS_CHILDREN of a type change ("move them first") is not the delete's refusal: the
    FHIR wording of a refused delete is not given to it."""
    district = chain["R0D"]
    read = admin.get(f"/fhir/Location/{district.uuid}").json()
    read["physicalType"]["coding"][0].update(code="V", display="Village")
    response = send(admin, "put", f"/fhir/Location/{district.uuid}", read)
    assert response.status_code == 422, response.content
    issues = validated(response.json())["issue"]
    (children,) = [i for i in issues if i["details"]["coding"][0]["code"] == "HAS_CHILDREN"]
    assert children["diagnostics"] == (
        "1 current children would be at the wrong level under a village; move them first."
    )
