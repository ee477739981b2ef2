"""``manage.py import_legacy`` checks every row with the rules the services apply to a
write (``modules/*/services.py``'s ``validate``, the characters of ``backend.text``), so
an imported row can be edited afterwards. History rows keep the character rules and the
level rules as of the row they name; that row need not be current now.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from backend.errors import FieldError
from backend.legacy import LegacyRow, rule_rejections
from modules.location import services as location_services
from modules.location.models import Location
from modules.payer import services as payer_services
from modules.payer.models import Payer
from tests.legacy_helpers import run_import
from tests.test_import_legacy import (
    HISTORY_FROM,
    HISTORY_TO,
    base_locations,
    base_payers,
    extra_payer,
    in_location,
    in_payer,
    location,
    refused_with,
    run_and_capture_rejections,
    write,
)

LOCATION_2, PAYER_1 = "tblLocations.csv line 3 (LocationId 2)", "tblPayer.csv line 2 (PayerID 1)"


def _character(place: str, column: str, char: str) -> str:
    """The refusal of a text holding a character no text field accepts (backend.text)."""
    field = {"LocationName": "name", "LocationCode": "code", "PayerAddress": "address"}
    return (
        f"{place}: {column}: The {field.get(column, column.lower())} contains {char}, a "
        "control or text-direction character no text field accepts."
    )


def _payer_level(place: str, location: str) -> str:
    return f"{place}: LocationId: A payer belongs to a region or a district, not to {location}."


# Each case: a change to the valid base (tests.test_import_legacy) and the refusal, as
# printed: file, line, id, the column and the service's own message.
RLO, SOH, TAB = (
    "U+202E (RIGHT-TO-LEFT OVERRIDE)",
    "U+0001 (a control)",
    "U+0009 (CHARACTER TABULATION)",
)
LOCATION_1, LOCATION_5 = (f"tblLocations.csv line {n + 1} (LocationId {n})" for n in (1, 5))
CHARACTERS = {
    "control-and-bidi-in-name": (
        in_location(1, LocationName="Rap\x01ta\u202e"), LOCATION_2, "LocationName", SOH
    ),
    "bidi-in-code": (in_location(0, LocationCode="R\u202e1"), LOCATION_1, "LocationCode", RLO),
    "control-in-history-name": (
        in_location(4, LocationName="Old\x1bregion"), LOCATION_5, "LocationName", "U+001B (ESCAPE)"
    ),
    "bidi-in-phone": (in_payer(0, Phone="12\u202e3"), PAYER_1, "Phone", RLO),
    "control-in-address": (
        in_payer(0, PayerAddress="Line 1\tLine 2"), PAYER_1, "PayerAddress", TAB
    ),
}  # fmt: skip
OTHER_RULES = {
    "malformed-email": (
        in_payer(0, eMail="not an email"),
        f"{PAYER_1}: eMail: 'not an email' is not an e-mail address.",
    ),
    "payer-at-a-municipality": (in_payer(0, LocationId=3), _payer_level(PAYER_1, "R1D1W1 Ward")),
    "payer-at-a-village": (in_payer(0, LocationId=4), _payer_level(PAYER_1, "R1D1W1V1 Village")),
    "payer-at-a-history-location": (
        in_payer(0, LocationId=5),
        f"{PAYER_1}: LocationId: The location R1 Old region is not current.",
    ),
    "history-payer-at-a-municipality": (
        in_payer(1, LocationId=3),
        _payer_level("tblPayer.csv line 5 (PayerID 2)", "R1D1W1 Ward"),
    ),
    "current-under-a-history-location": (
        in_location(1, ParentLocationId=5),
        f"{LOCATION_2}: ParentLocationId: The parent R1 Old region is a history version, "
        "not current.",
    ),
}
BROKEN_RULES = {
    **{case: (change, _character(*refusal)) for case, (change, *refusal) in CHARACTERS.items()},
    **OTHER_RULES,
}


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "refusal"), BROKEN_RULES.values(), ids=list(BROKEN_RULES))
def test_a_row_the_services_would_refuse_is_refused(tmp_path, change, refusal):
    assert refusal in refused_with(tmp_path, change).splitlines()


@pytest.mark.django_db
def test_with_load_valid_the_row_is_left_out_and_the_others_loaded(tmp_path):
    locations, payers = base_locations(), base_payers()
    payers.append(payers[0] | {"PayerID": 3, "PayerUUID": None, "eMail": "not an email"})

    _out, err = run_import(str(write(tmp_path, locations, payers)), load_valid=True)

    assert err.splitlines() == [
        "tblPayer.csv line 8 (PayerID 3): eMail: 'not an email' is not an e-mail address."
    ]
    assert sorted(Payer.objects.values_list("pk", flat=True)) == [1, 2]
    assert Location.objects.count() == 5


@pytest.mark.django_db
def test_history_rows_name_rows_that_are_history_now(tmp_path):
    """A history row's parent or location was current when the version was: it may be
    a history row now (the level rule holds, as of that row)."""
    locations, payers = base_locations(), base_payers()
    locations.append(
        location(
            6, "R1D9", "Old district", "D", parent=5,
            ValidityFrom=HISTORY_FROM, ValidityTo=HISTORY_TO, LegacyId=2,
        )
    )  # fmt: skip
    extra_payer(3, 5, PayerUUID=None, ValidityFrom=HISTORY_FROM, ValidityTo=HISTORY_TO, LegacyID=1)(
        locations, payers
    )

    _out, err = run_import(str(write(tmp_path, locations, payers)))

    assert err == ""
    assert Location.objects.get(pk=6).parent_id == 5
    assert Payer.objects.get(pk=3).location_id == 5


@pytest.mark.django_db
def test_a_history_row_keeps_the_level_rule_of_the_row_it_names(tmp_path):
    locations = base_locations()
    locations.append(
        location(
            6, "R1D9", "Old district", "D", parent=3,
            ValidityFrom=HISTORY_FROM, ValidityTo=HISTORY_TO, LegacyId=2,
        )
    )  # fmt: skip

    _out, err = run_and_capture_rejections(write(tmp_path, locations, base_payers()))

    assert (
        "tblLocations.csv line 7 (LocationId 6): ParentLocationId: The parent of a district "
        "must be a region, not a municipality (R1D1W1 Ward)." in err.splitlines()
    ), err


@pytest.mark.django_db
def test_every_imported_demo_row_passes_the_services_rules(demo_dir):
    """What the import stores, the services accept: each current row as a write checks
    it, each history row as the import checks it; and an unrelated edit of an imported
    row goes through (the tester's reproduction: a population, a phone)."""
    run_import(str(demo_dir))

    for row in Location.objects.select_related("parent"):
        history = row.validity_to is not None
        rules = location_services.validate(row, history=history, check_code=not history)
        assert rules == [], row.pk
    for row in Payer.objects.select_related("location"):
        assert payer_services.validate(row, history=row.validity_to is not None) == [], row.pk

    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "x")
    district = Location.objects.get(pk=17)
    assert (
        location_services.update_location(
            district.uuid, {"male_population": 5}, user=admin
        ).male_population
        == 5
    )
    payer = Payer.objects.current().filter(location_id__isnull=False).first()
    assert payer_services.update_payer(payer.uuid, {"phone": "123"}, user=admin).phone == "123"


def test_rules_reading_a_required_relation_whose_row_is_unknown_refuse_nothing_themselves():
    """A district attachment names an unknown location: its location (required) has no
    row, so the rules reading it are not checked (the table refuses the row for the
    unknown location itself); a known one is read and its errors name the column."""
    from modules.location.models import UserDistrict

    row = LegacyRow("tblUsersDistricts.csv", 2, "UserDistrictID 1", {"LocationId": "99"})
    fields = {"LocationId": "location_id"}

    def rules(attachment: UserDistrict) -> list[FieldError]:
        place = attachment.location  # RelatedObjectDoesNotExist without a row
        return [FieldError("location", "NOT_DISTRICT", f"{place.code} is no district.")]

    attachment = UserDistrict(location_id=99)
    assert rule_rejections(row, attachment, rules, fields, {"location": ...}) == []
    region = Location(code="R9", name="Region", type="R")
    [rejection] = rule_rejections(row, attachment, rules, fields, {"location": region})
    assert rejection.reason == "LocationId: R9 is no district."
    assert (rejection.source, rejection.line, rejection.key) == (
        "tblUsersDistricts.csv", 2, "UserDistrictID 1"
    )  # fmt: skip
    # the cache is emptied after the check: the relation is not left as the import gave it
    assert not UserDistrict.location.is_cached(attachment)
    # other exceptions of the rules are the service's bugs: they propagate
    with pytest.raises(ZeroDivisionError):
        rule_rejections(row, attachment, lambda obj: [1 / 0], fields, {"location": ...})
