"""One case rule on PostgreSQL and SQLite: location codes unique ignoring case, and the
case-insensitive searches of the three surfaces, fold every letter as PostgreSQL's
``upper()`` does (``backend.casefold``), not only ASCII.

The rule's cases: é and É are one letter ignoring case; ß is not SS (nor ẞ); Turkish
İ (dotted capital) is not i, while dotless ı is (its capital is I).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower, Upper

from backend import casefold
from modules.location.models import Location
from tests.api_helpers import FHIR_JSON, JSONAPI, get_document

pytestmark = pytest.mark.django_db

CREATE = (
    "mutation($input: CreateLocationInput!) { createLocation(input: $input) "
    "{ location { code } errors { field code message } } }"
)


def create(gql, code: str, name: str = "x") -> dict:
    """createLocation of the region ``code``: its payload (location, errors)."""
    return gql.data(CREATE, {"input": {"code": code, "name": name, "type": "REGION"}})[
        "createLocation"
    ]


def test_the_fold_is_unicode_simple_uppercase():
    assert casefold.upper("éa1") == "ÉA1"
    assert casefold.upper("straße") == "STRAßE"  # not STRASSE: one character each
    assert casefold.upper("ẞ") == "ẞ" and casefold.upper("ß") == "ß"
    assert casefold.upper("İi ı") == "İI I"
    assert casefold.upper("ᾳ") == "ᾼ"  # Greek: the simple mapping, not ΑΙ
    assert casefold.lower("İ ÉÉ ẞ") == "i éé ß"
    assert casefold.lower("ΟΔΟΣ") == "οδοσ"  # no final ς, as PostgreSQL
    assert casefold.upper(None) is None and casefold.lower(None) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with PostgreSQL")
def test_the_fold_is_postgresqls_for_every_character():
    """Every code point but NUL and the surrogates, folded by the database and here."""
    points = [*range(1, 0xD800), *range(0xE000, 0x110000)]
    text = "".join(map(chr, points))
    with connection.cursor() as cursor:
        cursor.execute("SELECT upper(%s), lower(%s)", [text, text])
        upper, lower = cursor.fetchone()
        assert upper == casefold.upper(text)
        assert lower == casefold.lower(text)
        for word in ("ΟΔΟΣ", "straße", "İstanbul ıi"):
            cursor.execute("SELECT upper(%s), lower(%s)", [word, word])
            assert cursor.fetchone() == (casefold.upper(word), casefold.lower(word))


@pytest.mark.parametrize(
    ("first", "second", "taken"),
    [
        ("éa1", "ÉA1", True),
        ("ÉA1", "éa1", True),
        ("straße", "STRASSE", False),
        ("straße", "STRAẞE", False),
        ("İa1", "ia1", False),
        ("İa1", "IA1", False),
        ("ıa1", "IA1", True),
        ("ıa1", "ia1", True),
    ],
)
def test_codes_unique_ignoring_case_beyond_ascii(gql, first, second, taken):
    assert create(gql, first)["errors"] == []
    result = create(gql, second)
    if taken:
        assert result == {
            "location": None,
            "errors": [
                {
                    "field": "code",
                    "code": "DUPLICATE",
                    "message": f"A current location already has the code {first!r} "
                    f"(codes are unique ignoring case, so {second!r} is taken).",
                }
            ],
        }
    else:
        assert result == {"location": {"code": second}, "errors": []}
    assert Location.objects.current().count() == (1 if taken else 2)


def test_the_database_index_refuses_what_the_service_refuses():
    """The unique index itself, written past the service."""
    Location.objects.create(code="éa1", name="x", type="R")
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.bulk_create([Location(code="ÉA1", name="y", type="R")])
    Location.objects.bulk_create([Location(code="STRASSE", name="y", type="R")])
    Location.objects.bulk_create([Location(code="straße", name="z", type="R")])
    assert sorted(Location.objects.values_list("code", flat=True)) == ["STRASSE", "straße", "éa1"]


@pytest.fixture
def accented(db):
    Location.objects.create(code="A1", name="ééé Village", type="R")
    Location.objects.create(code="É2", name="Straße Nord", type="R")
    Location.objects.create(code="B3", name="İzmir", type="R")
    Location.objects.create(code="B4", name="Iğdır", type="R")


@pytest.mark.parametrize(
    ("filter_", "codes"),
    [
        ('{nameContains: "ÉÉÉ"}', ["A1"]),
        ('{nameContains: "éé v"}', ["A1"]),
        ('{nameContains: "STRAßE"}', ["É2"]),
        ('{nameContains: "STRASSE"}', []),
        ('{nameContains: "izmir"}', []),
        ('{nameContains: "İZ"}', ["B3"]),
        ('{nameContains: "ığ"}', ["B4"]),
        ('{code: "é2"}', ["É2"]),
        ('{codeStartsWith: "é"}', ["É2"]),
        ('{codeContains: "é"}', ["É2"]),
        ('{search: "ÉÉÉ"}', ["A1"]),
    ],
)
def test_graphql_filters_fold_beyond_ascii(gql, accented, filter_, codes):
    data = gql.data(f"{{ locations(filter: {filter_}) {{ edges {{ node {{ code }} }} }} }}")
    assert [e["node"]["code"] for e in data["locations"]["edges"]] == codes


def test_exact_code_keeps_like_wildcards_literal(gql):
    Location.objects.create(code="a_1", name="x", type="R")
    Location.objects.create(code="ab1", name="y", type="R")
    Location.objects.create(code="a%1", name="z", type="R")
    for given, codes in (("A_1", ["a_1"]), ("A%1", ["a%1"]), ("AB1", ["ab1"])):
        data = gql.data(
            f'{{ locations(filter: {{code: "{given}"}}) {{ edges {{ node {{ code }} }} }} }}'
        )
        assert [e["node"]["code"] for e in data["locations"]["edges"]] == codes


def test_fhir_name_searches_fold_beyond_ascii(admin, accented):
    def codes(query: str) -> list[str]:
        body = get_document(admin, f"/fhir/Location?{query}", f"{FHIR_JSON}; charset=utf-8")
        return [e["resource"]["identifier"][1]["value"] for e in body.get("entry", [])]

    assert codes(f"name:contains={quote('ÉÉÉ')}") == ["A1"]
    assert codes(f"name={quote('ÉÉÉ V')}") == ["A1"]  # starts with
    assert codes(f"name={quote('STRAẞE')}") == []
    assert codes(f"identifier={quote('é2')}") == ["É2"]


def test_jsonapi_name_filter_folds_beyond_ascii(admin, accented):
    body = get_document(admin, f"/api/locations?filter[name.icontains]={quote('ÉÉÉ')}", JSONAPI)
    assert [d["attributes"]["code"] for d in body["data"]] == ["A1"]


def test_upper_and_lower_expressions_fold_beyond_ascii(accented):
    rows = Location.objects.order_by("code").annotate(up=Upper("name"), low=Lower("name"))
    assert [(r.up, r.low) for r in rows] == [
        ("ÉÉÉ VILLAGE", "ééé village"),
        ("İZMIR", "izmir"),
        ("IĞDIR", "iğdır"),
        ("STRAßE NORD", "straße nord"),
    ]


def test_payer_filters_and_name_order_fold_beyond_ascii(gql):
    from modules.payer.models import Payer

    Payer.objects.create(name="Émile Coop", type="C", email="ÉCOLE@example.org")
    Payer.objects.create(name="éa Farm", type="C", email="ea@example.org")

    def names(arguments: str) -> list[str]:
        data = gql.data(f"{{ payers({arguments}) {{ edges {{ node {{ name }} }} }} }}")
        return [e["node"]["name"] for e in data["payers"]["edges"]]

    assert names('filter: {nameContains: "émile"}') == ["Émile Coop"]
    assert names('filter: {email: "école@EXAMPLE.org"}') == ["Émile Coop"]
    assert names('filter: {emailContains: "ÉCO"}') == ["Émile Coop"]
    # sorted by the lowercase name: "éa farm" before "émile coop" (SQLite's ASCII LOWER
    # kept É, which sorts before every é)
    assert names("orderBy: [{field: NAME}]") == ["éa Farm", "Émile Coop"]


def test_case_sensitive_lookups_are_case_sensitive_on_both_databases(admin, accented):
    """JSON:API ``code.startswith`` (Django's ``startswith``) respects case: SQLite's
    LIKE ignored ASCII case, PostgreSQL's does not."""

    def codes(prefix: str) -> list[str]:
        url = f"/api/locations?filter[code.startswith]={quote(prefix)}"
        return [d["attributes"]["code"] for d in get_document(admin, url, JSONAPI)["data"]]

    assert (codes("B"), codes("b"), codes("É"), codes("é")) == (["B3", "B4"], [], ["É2"], [])
    assert list(Location.objects.filter(name__contains="village").values_list("code")) == []
    assert list(Location.objects.filter(name__contains="Village").values_list("code")) == [("A1",)]
