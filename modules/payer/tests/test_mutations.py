"""Payer mutations: rules, history, and the location delete the payer module refuses."""

import pytest
from django.apps import apps

from modules.payer.models import Payer

pytestmark = pytest.mark.django_db

PAYLOAD = (
    "payer { uuid name type address email location { code } validityTo } errors { field code }"
)
NO_SUCH = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def places():
    Location = apps.get_model("location.Location")
    ultha = Location.objects.create(code="R1", name="Ultha", type="R")
    rapta = Location.objects.create(code="R1D1", name="Rapta", type="D", parent=ultha)
    achi = Location.objects.create(code="R1D1M1", name="Achi", type="W", parent=rapta)
    old = Location.objects.create(
        code="R0", name="Old", type="R", validity_to="2016-12-31T00:00Z", legacy=ultha
    )
    return {"ultha": ultha, "rapta": rapta, "achi": achi, "old": old}


def snapshot():
    return sorted(
        Payer.objects.values_list("id", "name", "type", "email", "location_id", "validity_to")
    )


def run(gql, mutation, input_):
    name = mutation[0].upper() + mutation[1:]
    return gql.data(
        f"mutation($input: {name}Input!) {{ {mutation}(input: $input) {{ {PAYLOAD} }} }}",
        {"input": input_},
    )[mutation]


def errors_of(result):
    return [(e["field"], e["code"]) for e in result["errors"]]


def test_create_payer(gql, places):
    address = "HR Manager\nCoffee Farmers Association\nHolobo 29\n"
    result = run(
        gql,
        "createPayer",
        {"name": "Coffee Farmers", "type": "COOPERATIVE", "address": address,
         "email": "hr@coffee.example", "location": str(places["rapta"].uuid)},
    )  # fmt: skip
    assert result["errors"] == []
    assert result["payer"]["address"] == address
    assert result["payer"]["location"] == {"code": "R1D1"}
    assert Payer.objects.get(name="Coffee Farmers").audit_user_id is not None


@pytest.mark.parametrize(
    ("input_", "expected"),
    [
        ({"name": "  ", "type": "DONOR"}, [("name", "REQUIRED")]),
        ({"name": "N" * 101, "type": "DONOR"}, [("name", "TOO_LONG")]),
        ({"name": "X", "type": "DONOR", "email": "not-an-email"}, [("email", "INVALID_EMAIL")]),
        (
            {"name": "X", "type": "DONOR", "email": "a" * 40 + "@example.org"},
            [("email", "TOO_LONG")],
        ),
        ({"name": "X", "type": "DONOR", "phone": "1" * 51}, [("phone", "TOO_LONG")]),
        ({"name": "X", "type": "DONOR", "fax": "1" * 51}, [("fax", "TOO_LONG")]),
        ({"name": "X", "type": "DONOR", "address": "a\n" * 51}, [("address", "TOO_LONG")]),
        (
            {"name": "X", "type": "DONOR", "location": "achi"},
            [("location", "WRONG_LOCATION_LEVEL")],
        ),
        ({"name": "X", "type": "DONOR", "location": "old"}, [("location", "NOT_CURRENT")]),
        ({"name": "X", "type": "DONOR", "location": NO_SUCH}, [("location", "NOT_FOUND")]),
    ],
)
def test_create_rules(gql, places, input_, expected):
    if input_.get("location") in places:
        input_ = {**input_, "location": str(places[input_["location"]].uuid)}
    before = snapshot()
    result = run(gql, "createPayer", input_)
    assert (result["payer"], errors_of(result)) == (None, expected)
    assert snapshot() == before


def test_update_keeps_history_and_can_clear_the_location(gql, places):
    payer = Payer.objects.create(name="Fund", type="D", location=places["ultha"], email="")
    result = run(gql, "updatePayer", {"uuid": str(payer.uuid), "name": "Fund II",
                                      "location": None})  # fmt: skip
    assert result["errors"] == []
    assert (result["payer"]["name"], result["payer"]["location"]) == ("Fund II", None)
    (history,) = Payer.objects.filter(legacy=payer)
    assert (history.name, history.location_id, history.email) == ("Fund", places["ultha"].pk, "")
    data = gql.data(f'{{ payer(uuid: "{payer.uuid}") {{ history {{ name }} }} }}')
    assert data["payer"]["history"] == [{"name": "Fund"}]
    refused = run(gql, "updatePayer", {"uuid": str(history.uuid), "name": "X"})
    assert errors_of(refused) == [("uuid", "NOT_CURRENT")]
    refused = run(gql, "updatePayer", {"uuid": str(payer.uuid), "name": None, "email": "@"})
    assert errors_of(refused) == [("name", "REQUIRED"), ("email", "INVALID_EMAIL")]


def test_delete_payer_sets_validity_to(gql, places):
    payer = Payer.objects.create(name="Fund", type="D")
    result = run(gql, "deletePayer", {"uuid": str(payer.uuid)})
    assert result["errors"] == [] and result["payer"]["validityTo"]
    assert Payer.objects.filter(pk=payer.pk, validity_to__isnull=False).exists()
    assert run(gql, "deletePayer", {"uuid": str(payer.uuid)})["errors"][0]["code"] == "NOT_CURRENT"


def test_location_with_current_payers_is_not_deleted(gql, places):
    payer = Payer.objects.create(name="Fund", type="D", location=places["rapta"])
    places["achi"].validity_to = "2020-01-01T00:00Z"  # no children left
    places["achi"].save()
    result = gql.data(
        "mutation($u: UUID!) { deleteLocation(input: {uuid: $u}) "
        "{ errors { field code message } } }",
        {"u": str(places["rapta"].uuid)},
    )["deleteLocation"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(None, "HAS_PAYERS")]
    assert "1 current payer" in result["errors"][0]["message"]
    run(gql, "deletePayer", {"uuid": str(payer.uuid)})
    result = gql.data(
        "mutation($u: UUID!) { deleteLocation(input: {uuid: $u}) { errors { code } } }",
        {"u": str(places["rapta"].uuid)},
    )["deleteLocation"]
    assert result["errors"] == []
