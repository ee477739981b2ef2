"""The payer module's read API and its ``Location.payers`` extension."""

import pytest
from django.apps import apps

from modules.payer.models import Payer

pytestmark = pytest.mark.django_db


@pytest.fixture
def payers():
    Location = apps.get_model("location.Location")
    ultha = Location.objects.create(code="R1", name="Ultha", type="R")
    rapta = Location.objects.create(code="R1D1", name="Rapta", type="D", parent=ultha)
    tahida = Location.objects.create(code="R2", name="Tahida", type="R")
    coffee = Payer.objects.create(
        name="Coffee Farmers Association",
        type="C",
        location=rapta,
        address="HR Manager\nCoffee Farmers Association\nHolobo 29\n",
        phone="+2552127867576",
        fax="",
        email="",
    )
    Payer.objects.create(
        name="Coffee Farmers (old name)",
        type="C",
        location=rapta,
        validity_from="2016-01-01T00:00:00Z",
        validity_to="2016-12-31T00:00:00Z",
        legacy_id=coffee.pk,
    )
    Payer.objects.create(
        name="Ministry of Health", type="G", location=tahida, email="moh@example.org"
    )
    Payer.objects.create(name="World Donor Fund", type="D", phone="+855 23 111 222")
    return {"ultha": ultha, "rapta": rapta, "coffee": coffee}


def names(gql, args=""):
    data = gql.data(f"{{ payers{args} {{ totalCount edges {{ node {{ name }} }} }} }}")
    result = [edge["node"]["name"] for edge in data["payers"]["edges"]]
    assert data["payers"]["totalCount"] == len(result)
    return result


def test_current_payers_by_name(gql, payers):
    assert names(gql) == ["Coffee Farmers Association", "Ministry of Health", "World Donor Fund"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("{type: GOVERNMENT}", ["Ministry of Health"]),
        ('{nameContains: "donor"}', ["World Donor Fund"]),
        ('{email: "MOH@example.org"}', ["Ministry of Health"]),
        ('{phone: "111"}', ["World Donor Fund"]),
        ('{search: "example"}', ["Ministry of Health"]),
        ('{search: "+2552"}', ["Coffee Farmers Association"]),
        ('{search: "HEALTH"}', ["Ministry of Health"]),
    ],
)
def test_filters(gql, payers, where, expected):
    assert names(gql, f"(filter: {where})") == expected


def test_location_filter_covers_the_subtree(gql, payers):
    assert names(gql, f'(filter: {{location: "{payers["ultha"].uuid}"}})') == [
        "Coffee Farmers Association"
    ]
    assert names(gql, f'(filter: {{location: "{payers["rapta"].uuid}"}})') == [
        "Coffee Farmers Association"
    ]


def test_email_contains_and_fax(gql, payers):
    Payer.objects.create(name="Fax Fund", type="D", fax="+855 23 999 000", email="FF@Fund.org")
    assert names(gql, '(filter: {emailContains: "EXAMPLE"})') == ["Ministry of Health"]
    assert names(gql, '(filter: {emailContains: "@"})') == ["Fax Fund", "Ministry of Health"]
    assert names(gql, '(filter: {fax: "23 999"})') == ["Fax Fund"]
    assert names(gql, '(filter: {fax: "23 111"})') == []  # the phone is not the fax


COFFEE, MOH, WORLD = "Coffee Farmers Association", "Ministry of Health", "World Donor Fund"


@pytest.mark.parametrize(
    ("field", "ascending", "descending"),
    [
        # R1D1, R2, no location (last ascending, first descending, on every database)
        ("LOCATION_CODE", [COFFEE, MOH, WORLD], [WORLD, MOH, COFFEE]),
        # "moh@example.org", then "" and null alike (none: by name)
        ("EMAIL", [MOH, COFFEE, WORLD], [COFFEE, WORLD, MOH]),
        # "+2552127867576", "+855 23 111 222", null
        ("PHONE", [COFFEE, WORLD, MOH], [MOH, WORLD, COFFEE]),
        # the order of creation
        ("VALIDITY_FROM", [COFFEE, MOH, WORLD], [WORLD, MOH, COFFEE]),
    ],
)
def test_orders(gql, payers, field, ascending, descending):
    assert names(gql, f"(orderBy: [{{field: {field}}}])") == ascending
    assert names(gql, f"(orderBy: [{{field: {field}, direction: DESC}}])") == descending


def test_email_order_ignores_case(gql, payers):
    Payer.objects.create(name="Upper", type="D", email="ZED@example.org")
    Payer.objects.create(name="Lower", type="D", email="alpha@example.org")
    assert names(gql, '(orderBy: [{field: EMAIL}], filter: {emailContains: "example"})') == [
        "Lower", MOH, "Upper"
    ]  # fmt: skip


def test_an_unknown_location_is_an_error_naming_it(gql, payers):
    no_such = "00000000-0000-0000-0000-00000000beef"
    messages = gql.errors(f'{{ payers(filter: {{location: "{no_such}"}}) {{ totalCount }} }}')
    assert messages == [f"filter.location: no location has uuid {no_such}."]


def test_validity_and_ordering(gql, payers):
    assert names(gql, "(validity: {includeHistory: true}, filter: {type: COOPERATIVE})") == [
        "Coffee Farmers (old name)",
        "Coffee Farmers Association",
    ]
    assert names(gql, '(validity: {at: "2016-06-01T00:00:00Z"})') == ["Coffee Farmers (old name)"]
    assert names(gql, "(orderBy: [{field: TYPE, direction: DESC}])") == [
        "Ministry of Health",
        "World Donor Fund",
        "Coffee Farmers Association",
    ]


def test_payer_fields_lookups_and_location(gql, payers):
    coffee = payers["coffee"]
    payer = gql.data(
        f'{{ payer(uuid: "{coffee.uuid}") {{ id uuid name type address phone fax email '
        "validityTo location { code name type } } }"
    )["payer"]
    assert payer["type"] == "COOPERATIVE"
    assert payer["address"] == "HR Manager\nCoffee Farmers Association\nHolobo 29\n"
    assert (payer["fax"], payer["email"]) == ("", "")
    assert payer["location"] == {"code": "R1D1", "name": "Rapta", "type": "DISTRICT"}
    node = gql.data(f'{{ node(id: "{payer["id"]}") {{ ... on Payer {{ uuid }} }} }}')["node"]
    assert node == {"uuid": str(coffee.uuid)}


def test_location_payers_lists_current_payers_only(gql, payers):
    data = gql.data(f'{{ location(uuid: "{payers["rapta"].uuid}") {{ payers {{ name }} }} }}')
    assert data["location"]["payers"] == [{"name": "Coffee Farmers Association"}]
