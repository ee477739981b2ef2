"""deleteLocation with descendants: a location and everything below it in one mutation and
one transaction, history for every row; the payers below refused with their list,
deleted, or reassigned as the caller chooses (issue 11, item 1).

Cross-module (locations and payers), so it lives here and not in either module.
"""

from __future__ import annotations

import pytest

from modules.location.models import Location
from modules.location.tests.trees import create_tree
from modules.payer.models import Payer
from tests import samples

pytestmark = pytest.mark.django_db

DELETE = (
    "mutation($input: DeleteLocationInput!) { deleteLocation(input: $input) "
    "{ location { code validityTo } errors { field code message } } }"
)


@pytest.fixture
def tree():
    """R1 > R1D1 > R1D1W1 > R1D1W1V1, R1D1W1V2; R1 > R1D2; R2 > R2D1; R1 has a history row."""
    tree = create_tree("r1=R1 d1=R1D1 w1=R1D1W1 v1=R1D1W1V1 v2=R1D1W1V2 d12=R1D2 r2=R2 d2=R2D1")
    tree["old"] = Location.objects.create(
        code="R1", name="Old Ultha", type="R", validity_to="2020-01-01T00:00Z", legacy=tree["r1"]
    )
    return tree


UUID_FIELDS = {"uuid", "reassignTo", "newParent"}


def delete(gql, **input_):
    variables = {k: str(v) if k in UUID_FIELDS else v for k, v in input_.items()}
    return gql.data(DELETE, {"input": variables})["deleteLocation"]


def current_codes():
    return sorted(Location.objects.current().values_list("code", flat=True))


def test_deletes_the_location_and_everything_below_it_in_one_call(gql, tree):
    before = Location.objects.count()
    result = delete(gql, uuid=tree["d1"].uuid, descendants=True)
    assert result["errors"] == []
    assert result["location"]["code"] == "R1D1" and result["location"]["validityTo"]
    assert current_codes() == ["R1", "R1D2", "R2", "R2D1"]
    deleted = Location.objects.filter(code__startswith="R1D1")
    # history for every row: each keeps its row, with one validityTo and the acting user
    assert deleted.count() == 4 and Location.objects.count() == before
    assert len({row.validity_to for row in deleted}) == 1
    assert {row.audit_user_id for row in deleted} == {deleted.first().audit_user_id} != {None}
    assert Location.objects.get(pk=tree["old"].pk).validity_to.year == 2020  # untouched


def test_a_region_with_its_subtree(gql, tree):
    assert delete(gql, uuid=tree["r1"].uuid, descendants=True)["errors"] == []
    assert current_codes() == ["R2", "R2D1"]


def test_without_descendants_children_still_refuse(gql, tree):
    before = samples.digest()
    result = delete(gql, uuid=tree["d1"].uuid)
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("newParent", "HAS_CHILDREN")]
    assert "descendants" in result["errors"][0]["message"]
    assert samples.digest() == before


def test_new_parent_and_descendants_conflict(gql, tree):
    before = samples.digest()
    result = delete(gql, uuid=tree["d1"].uuid, descendants=True, newParent=tree["d12"].uuid)
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("newParent", "CONFLICT")]
    assert samples.digest() == before


@pytest.fixture
def payers(tree):
    """Current payers at R1D1 (two) and R1D2, one at R2; a history payer at R1D1."""
    made = {
        "fund": Payer.objects.create(name="Fund", type="D", location=tree["d1"]),
        "coop": Payer.objects.create(name="Co-op", type="C", location=tree["d1"]),
        "tarak": Payer.objects.create(name="Tarak aid", type="G", location=tree["d12"]),
        "tahida": Payer.objects.create(name="Tahida aid", type="G", location=tree["r2"]),
    }
    made["old"] = Payer.objects.create(
        name="Old fund", type="D", location=tree["d1"], validity_to="2020-01-01T00:00Z",
        legacy=made["fund"],
    )  # fmt: skip
    return made


def test_payers_below_refuse_with_their_list(gql, tree, payers):
    before = samples.digest()
    result = delete(gql, uuid=tree["r1"].uuid, descendants=True)
    assert result["location"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        (None, "HAS_PAYERS"),
        (None, "HAS_PAYERS"),
    ]
    messages = sorted(e["message"] for e in result["errors"])
    assert messages[0].startswith("R1D1 Rapta still has 2 current payer(s): ")
    assert f"'Co-op' ({payers['coop'].uuid})" in messages[0]
    assert f"'Fund' ({payers['fund'].uuid})" in messages[0]
    assert "Old fund" not in messages[0]
    assert messages[1].startswith(f"R1D2 Tarak still has 1 current payer(s): 'Tarak aid' "
                                  f"({payers['tarak'].uuid})")  # fmt: skip
    assert samples.digest() == before


def test_payers_below_are_deleted_with_cascade(gql, tree, payers):
    result = delete(gql, uuid=tree["r1"].uuid, descendants=True, references="CASCADE")
    assert result["errors"] == []
    assert current_codes() == ["R2", "R2D1"]
    assert sorted(Payer.objects.current().values_list("name", flat=True)) == ["Tahida aid"]
    gone = Payer.objects.filter(pk__in=[payers[n].pk for n in ("fund", "coop", "tarak")])
    deleted_at = Location.objects.get(pk=tree["r1"].pk).validity_to
    assert {p.validity_to for p in gone} == {deleted_at}
    assert Payer.objects.count() == 5  # nothing removed


def test_payers_below_are_reassigned(gql, tree, payers):
    result = delete(
        gql, uuid=tree["r1"].uuid, descendants=True, references="REASSIGN",
        reassignTo=tree["r2"].uuid,
    )  # fmt: skip
    assert result["errors"] == []
    moved = Payer.objects.current().filter(location=tree["r2"])
    assert sorted(moved.values_list("name", flat=True)) == [
        "Co-op", "Fund", "Tahida aid", "Tarak aid",
    ]  # fmt: skip
    # a history row per moved payer, holding the old location
    for name, place in (("fund", "d1"), ("coop", "d1"), ("tarak", "d12")):
        history = Payer.objects.history().filter(legacy=payers[name]).order_by("-validity_to")
        assert history.first().location_id == tree[place].pk
    assert Payer.objects.history().filter(legacy=payers["tahida"]).count() == 0


def test_a_single_location_can_reassign_its_payers(gql, tree, payers):
    result = delete(gql, uuid=tree["d12"].uuid, references="REASSIGN", reassignTo=tree["d2"].uuid)
    assert result["errors"] == []
    assert Payer.objects.get(pk=payers["tarak"].pk).location_id == tree["d2"].pk


@pytest.mark.parametrize(
    ("input_", "expected"),
    [
        ({"references": "REASSIGN"}, ("reassignTo", "REQUIRED")),
        ({"reassignTo": "r2"}, ("reassignTo", "NOT_ALLOWED")),
        ({"references": "REASSIGN", "reassignTo": "w1"}, ("reassignTo", "IN_DELETED_SUBTREE")),
        ({"references": "REASSIGN", "reassignTo": "d1"}, ("reassignTo", "IN_DELETED_SUBTREE")),
        ({"references": "REASSIGN", "reassignTo": "old"}, ("reassignTo", "NOT_CURRENT")),
        (
            {"references": "REASSIGN", "reassignTo": "00000000-0000-0000-0000-000000000000"},
            ("reassignTo", "NOT_FOUND"),
        ),
    ],
)
def test_reassign_target_is_checked(gql, tree, payers, input_, expected):
    if "reassignTo" in input_ and input_["reassignTo"] in tree:
        input_ = {**input_, "reassignTo": tree[input_["reassignTo"]].uuid}
    before = samples.digest()
    result = delete(gql, uuid=tree["d1"].uuid, descendants=True, **input_)
    assert [(e["field"], e["code"]) for e in result["errors"]] == [expected]
    assert samples.digest() == before


def test_payers_refuse_a_village_as_new_home_and_nothing_is_written(gql, tree, payers):
    before = samples.digest()
    extra = Location.objects.create(code="R2D1W1", name="Mut", type="W", parent=tree["d2"])
    before = samples.digest()
    result = delete(
        gql, uuid=tree["d1"].uuid, descendants=True, references="REASSIGN", reassignTo=extra.uuid
    )
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("reassignTo", "WRONG_LOCATION_LEVEL")
    ]
    assert samples.digest() == before


def test_without_the_upper_level_right_a_district_subtree_is_refused(gql_as, tree):
    editor = gql_as(*(f"location.{p}_location" for p in ("view", "delete")), username="ed")
    before = samples.digest()
    result = editor.post(DELETE, {"input": {"uuid": str(tree["d1"].uuid), "descendants": True}})
    assert "manage_upper_levels" in result["errors"][0]["message"]
    assert samples.digest() == before
    ok = editor.post(DELETE, {"input": {"uuid": str(tree["w1"].uuid), "descendants": True}})
    assert ok["data"]["deleteLocation"]["errors"] == []
    assert current_codes() == ["R1", "R1D1", "R1D2", "R2", "R2D1"]


def test_the_subtree_delete_costs_the_same_queries_for_any_size(gql, tree, count_queries):
    """Query count flat in the subtree's size: a region of 2 or of 5 rows below it."""
    _, small = count_queries(delete, gql, uuid=tree["r2"].uuid, descendants=True)
    _, large = count_queries(delete, gql, uuid=tree["r1"].uuid, descendants=True)
    assert len(small) == len(large)


def test_a_module_with_only_a_delete_guard_is_asked_for_every_row(gql, tree, monkeypatch):
    """A guard (no handler) sees each row of the subtree, and its objection refuses."""
    from backend import registry
    from backend.errors import FieldError
    from conftest import fake_module

    seen = []

    def guard(location):
        seen.append(location.code)
        return [FieldError(None, "HAS_FACILITIES", "x")] if location.code == "R1D1W1V2" else []

    modules = [*registry.active_modules(), fake_module("facility", delete_guards={
        "location.Location": guard})]  # fmt: skip
    monkeypatch.setattr(registry, "active_modules", lambda: modules)
    before = samples.digest()
    result = delete(gql, uuid=tree["d1"].uuid, descendants=True)
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(None, "HAS_FACILITIES")]
    assert sorted(seen) == ["R1D1", "R1D1W1", "R1D1W1V1", "R1D1W1V2"]
    assert samples.digest() == before
