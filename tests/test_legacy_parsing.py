"""How the legacy import reads a column: from the model field it is stored in."""

from __future__ import annotations

from datetime import UTC

import pytest

from backend.legacy import INT_MAX, INT_MIN, LegacyContext, parse_rows
from backend.legacy.parsing import reading
from backend.legacy.staging.models import StagingRow
from modules.location.models import Location
from modules.payer.models import Payer


def field(model, name):
    return model._meta.get_field(name)


@pytest.mark.parametrize(
    ("model", "name", "expected"),
    [
        (Location, "id", ("id", {"required": True})),
        (Location, "parent", ("id", {"required": False})),
        (Location, "legacy", ("id", {"required": False})),
        (Location, "uuid", ("uuid", {})),
        (Location, "type", ("choice", {"choices": ("R", "D", "W", "V")})),
        (Location, "code", ("text", {"max_length": 8, "required": True})),
        (Payer, "address", ("text", {"max_length": 100, "required": False})),
        (Location, "validity_from", ("datetime", {"required": True})),
        (Location, "validity_to", ("datetime", {"required": False})),
        (Location, "families", ("integer", {"required": False, "minimum": 0, "maximum": INT_MAX})),
        (
            Location,
            "legacy_audit_user_id",
            ("integer", {"required": False, "minimum": INT_MIN, "maximum": INT_MAX}),
        ),
    ],
)
def test_each_kind_of_field_has_its_reading(model, name, expected):
    assert reading(field(model, name)) == expected


def test_a_field_without_a_legacy_reading_is_named():
    with pytest.raises(TypeError, match="no legacy reading for the JSONField 'row'"):
        reading(field(StagingRow, "row"))


def test_parse_rows_needs_a_parse_or_the_fields():
    with pytest.raises(ValueError, match="needs parse or the table's fields"):
        parse_rows([], LegacyContext(time_zone=UTC), "location.Location")
