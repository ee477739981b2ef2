"""Location mutations: every rule, history on every change, nothing written on refusal."""

import pytest

from modules.location.models import Location
from modules.location.tests.trees import create_tree

pytestmark = pytest.mark.django_db

PAYLOAD = (
    "location { uuid code name type parent { code } validityTo } errors { field code message }"
)


@pytest.fixture
def tree():
    return create_tree("ultha=R1 rapta=R1D1 achi=R1D1M1 rachla=R1D1M1V1 tahida=R2")


def snapshot():
    return sorted(Location.objects.values_list("id", "code", "name", "type", "parent_id",
                                               "validity_to", "legacy_id"))  # fmt: skip


def run(gql, mutation, input_):
    return gql.data(
        f"mutation($input: {mutation[0].upper()}{mutation[1:]}Input!) "
        f"{{ {mutation}(input: $input) {{ {PAYLOAD} }} }}",
        {"input": input_},
    )[mutation]


def codes_of(errors):
    return [(e["field"], e["code"]) for e in errors]


def test_create_returns_the_saved_location(gql, tree):
    result = run(
        gql,
        "createLocation",
        {"code": " R1D4 ", "name": "Newdis", "type": "DISTRICT", "parent": str(tree["ultha"].uuid)},
    )
    assert result["errors"] == []
    assert result["location"]["code"] == "R1D4"
    assert result["location"]["parent"] == {"code": "R1"}
    saved = Location.objects.get(code="R1D4")
    assert str(saved.uuid) == result["location"]["uuid"]
    assert saved.audit_user_id is not None and saved.validity_to is None


NO_SUCH = "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    ("input_", "expected"),
    [
        ({"code": "", "name": "X", "type": "REGION"}, [("code", "REQUIRED")]),
        (
            {"code": "   ", "name": "", "type": "REGION"},
            [("code", "REQUIRED"), ("name", "REQUIRED")],
        ),
        ({"code": "R123456789", "name": "X", "type": "REGION"}, [("code", "TOO_LONG")]),
        ({"code": "R9", "name": "N" * 51, "type": "REGION"}, [("name", "TOO_LONG")]),
        ({"code": "R1", "name": "Again", "type": "REGION"}, [("code", "DUPLICATE")]),
        ({"code": "R9", "name": "X", "type": "REGION", "families": -1}, [("families", "NEGATIVE")]),
        (
            {"code": "R9", "name": "X", "type": "REGION", "malePopulation": -5},
            [("malePopulation", "NEGATIVE")],
        ),
        ({"code": "R9D", "name": "X", "type": "DISTRICT"}, [("parent", "PARENT_REQUIRED")]),
        (
            {"code": "R9V", "name": "X", "type": "VILLAGE", "parent": "rapta"},
            [("parent", "WRONG_PARENT_LEVEL")],
        ),
        (
            {"code": "R9W", "name": "X", "type": "MUNICIPALITY", "parent": "ultha"},
            [("parent", "WRONG_PARENT_LEVEL")],
        ),
        (
            {"code": "R9", "name": "X", "type": "REGION", "parent": "tahida"},
            [("parent", "PARENT_NOT_ALLOWED")],
        ),
        (
            {"code": "R9D", "name": "X", "type": "DISTRICT", "parent": NO_SUCH},
            [("parent", "NOT_FOUND")],
        ),
    ],
)
def test_create_rules(gql, tree, input_, expected):
    if input_.get("parent") in tree:
        input_ = {**input_, "parent": str(tree[input_["parent"]].uuid)}
    before = snapshot()
    result = run(gql, "createLocation", input_)
    assert result["location"] is None
    assert codes_of(result["errors"]) == expected
    assert all(e["message"] for e in result["errors"])
    assert snapshot() == before


def test_create_under_a_history_parent_is_refused(gql, tree):
    old = Location.objects.create(
        code="R8", name="Old", type="R", validity_to="2016-12-31T00:00Z", legacy=tree["ultha"]
    )
    result = run(gql, "createLocation", {"code": "R8D", "name": "X", "type": "DISTRICT",
                                         "parent": str(old.uuid)})  # fmt: skip
    assert codes_of(result["errors"]) == [("parent", "NOT_CURRENT")]


def test_update_keeps_history_and_uuid(gql, tree):
    rapta = tree["rapta"]
    result = run(gql, "updateLocation", {"uuid": str(rapta.uuid), "name": "Rapta Town",
                                         "families": 12})  # fmt: skip
    assert result["errors"] == []
    assert result["location"]["uuid"] == str(rapta.uuid)
    assert result["location"]["name"] == "Rapta Town"
    current = Location.objects.get(pk=rapta.pk)
    assert (current.name, current.families, current.validity_to) == ("Rapta Town", 12, None)
    (history,) = Location.objects.filter(legacy=rapta)
    assert (history.name, history.families, history.code) == ("Rapta", None, "R1D1")
    assert history.uuid != rapta.uuid
    assert history.validity_to == current.validity_from
    assert history.parent_id == rapta.parent_id


def test_history_is_listed_newest_first(gql, tree):
    rapta = tree["rapta"]
    for name in ("Second", "Third"):
        run(gql, "updateLocation", {"uuid": str(rapta.uuid), "name": name})
    data = gql.data(
        f'{{ location(uuid: "{rapta.uuid}") {{ name history {{ name validityTo }} }} }}'
    )["location"]
    assert data["name"] == "Third"
    assert [h["name"] for h in data["history"]] == ["Second", "Rapta"]
    assert data["history"][0]["validityTo"] > data["history"][1]["validityTo"]


def test_update_rules(gql, tree):
    before = snapshot()
    uuid = str(tree["achi"].uuid)
    result = run(gql, "updateLocation", {"uuid": uuid, "code": "R1D1", "name": None})
    assert {(e["field"], e["code"]) for e in result["errors"]} == {
        ("code", "DUPLICATE"),
        ("name", "REQUIRED"),
    }
    result = run(gql, "updateLocation", {"uuid": uuid, "type": "DISTRICT"})
    assert {(e["field"], e["code"]) for e in result["errors"]} == {
        ("parent", "WRONG_PARENT_LEVEL"),
        ("type", "HAS_CHILDREN"),
    }
    assert snapshot() == before


def test_history_rows_cannot_be_changed(gql, tree):
    run(gql, "updateLocation", {"uuid": str(tree["rapta"].uuid), "name": "New"})
    history = Location.objects.get(legacy=tree["rapta"])
    before = snapshot()
    for mutation, extra in [
        ("updateLocation", {"name": "Nope"}),
        ("moveLocation", {"parent": str(tree["tahida"].uuid)}),
        ("deleteLocation", {}),
    ]:
        result = run(gql, mutation, {"uuid": str(history.uuid), **extra})
        assert codes_of(result["errors"]) == [("uuid", "NOT_CURRENT")], mutation
        # the current row named as users know it (code, name, uuid), not by database id
        assert result["errors"][0]["message"] == (
            f"{history.uuid} is an earlier version of location R1D1 New (uuid "
            f"{tree['rapta'].uuid}); history is never changed."
        )
    assert (
        run(gql, "updateLocation", {"uuid": "00000000-0000-0000-0000-000000000000"})["errors"][0][
            "code"
        ]
        == "NOT_FOUND"
    )
    assert snapshot() == before


def test_move_checks_the_parent_and_keeps_history(gql, tree):
    achi = tree["achi"]
    result = run(gql, "moveLocation", {"uuid": str(achi.uuid), "parent": str(tree["tahida"].uuid)})
    assert codes_of(result["errors"]) == [("parent", "WRONG_PARENT_LEVEL")]
    district = Location.objects.create(code="R2D1", name="Rajo", type="D", parent=tree["tahida"])
    result = run(gql, "moveLocation", {"uuid": str(achi.uuid), "parent": str(district.uuid)})
    assert result["errors"] == [] and result["location"]["parent"] == {"code": "R2D1"}
    assert Location.objects.get(legacy=achi).parent_id == tree["rapta"].pk


def test_delete_with_children_needs_a_new_parent(gql, tree):
    rapta = tree["rapta"]
    before = snapshot()
    result = run(gql, "deleteLocation", {"uuid": str(rapta.uuid)})
    assert codes_of(result["errors"]) == [("newParent", "HAS_CHILDREN")]
    result = run(
        gql, "deleteLocation", {"uuid": str(rapta.uuid), "newParent": str(tree["achi"].uuid)}
    )
    assert codes_of(result["errors"]) == [("newParent", "WRONG_PARENT_LEVEL")]
    assert snapshot() == before
    other = Location.objects.create(code="R1D2", name="Jambero", type="D", parent=tree["ultha"])
    result = run(gql, "deleteLocation", {"uuid": str(rapta.uuid), "newParent": str(other.uuid)})
    assert result["errors"] == [] and result["location"]["validityTo"] is not None
    assert Location.objects.get(pk=tree["achi"].pk).parent_id == other.pk
    assert Location.objects.filter(legacy=tree["achi"]).count() == 1  # the move's history
    assert Location.objects.filter(pk=rapta.pk).exists()  # nothing removed


def test_delete_leaf_sets_validity_to(gql, tree):
    result = run(gql, "deleteLocation", {"uuid": str(tree["rachla"].uuid)})
    assert result["errors"] == []
    rachla = Location.objects.get(pk=tree["rachla"].pk)
    assert rachla.validity_to is not None
    codes = [e["node"]["code"] for e in gql.data("{ locations { edges { node { code } } } }")[
        "locations"]["edges"]]  # fmt: skip
    assert "R1D1M1V1" not in codes


def test_new_user_story(gql, tree):
    """Create a district under R1 Ultha, rename it, move a municipality under it, delete it
    after re-parenting; each step's history is visible through GraphQL."""
    created = run(gql, "createLocation", {"code": "R1D9", "name": "Newdis", "type": "DISTRICT",
                                          "parent": str(tree["ultha"].uuid)})  # fmt: skip
    uuid = created["location"]["uuid"]
    assert run(gql, "updateLocation", {"uuid": uuid, "name": "Renamed"})["errors"] == []
    moved = run(gql, "moveLocation", {"uuid": str(tree["achi"].uuid), "parent": uuid})
    assert moved["location"]["parent"] == {"code": "R1D9"}
    deleted = run(gql, "deleteLocation", {"uuid": uuid, "newParent": str(tree["rapta"].uuid)})
    assert deleted["errors"] == [] and deleted["location"]["validityTo"]
    data = gql.data(
        f'{{ d: location(uuid: "{uuid}") {{ name validityTo history {{ name }} }} '
        f'm: location(uuid: "{tree["achi"].uuid}") {{ parent {{ code }} '
        "history { parent { code } } } }"
    )
    assert data["d"]["name"] == "Renamed" and data["d"]["validityTo"]
    assert [h["name"] for h in data["d"]["history"]] == ["Newdis"]
    assert data["m"]["parent"] == {"code": "R1D1"}
    assert [h["parent"]["code"] for h in data["m"]["history"]] == ["R1D9", "R1D1"]


def test_codes_are_unique_ignoring_case(gql, tree):
    result = run(gql, "createLocation", {"code": "r1", "name": "Lower", "type": "REGION"})
    assert codes_of(result["errors"]) == [("code", "DUPLICATE")]
    # the message quotes the code that exists, not the one given
    assert [e["message"] for e in result["errors"]] == [
        "A current location already has the code 'R1' "
        "(codes are unique ignoring case, so 'r1' is taken)."
    ]
    same = run(gql, "createLocation", {"code": "R1", "name": "Again", "type": "REGION"})
    assert [e["message"] for e in same["errors"]] == [
        "A current location already has the code 'R1'."
    ]


def test_counts_beyond_32_bits_are_refused_by_the_service(tree, make_user):
    """GraphQL's Int stops them first; the admin form reaches the service with them."""
    from backend.errors import ValidationFailed
    from modules.location import services

    with pytest.raises(ValidationFailed) as refused:
        services.update_location(
            tree["achi"].uuid,
            {"male_population": 2**31},
            user=make_user("root", superuser=True),
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [("malePopulation", "TOO_LARGE")]


@pytest.mark.parametrize("spaced", [" R1 ", "r1\t", "\nR1"])
def test_one_rule_for_codes_between_the_code_filter_and_create(gql, tree, spaced):
    """A code that the exact-code filter finds is one that create refuses, and the other
    way round: both ignore surrounding spaces (and case)."""
    found = gql.data(
        "query($c: String!) { locations(filter: {code: $c}) { edges { node { code } } } }",
        {"c": spaced},
    )["locations"]["edges"]
    assert found == [{"node": {"code": "R1"}}]
    result = run(gql, "createLocation", {"code": spaced, "name": "Again", "type": "REGION"})
    assert codes_of(result["errors"]) == [("code", "DUPLICATE")]
    free = gql.data('{ locations(filter: {code: " R7 "}) { totalCount } }')["locations"]
    assert free == {"totalCount": 0}
    created = run(gql, "createLocation", {"code": " R7 ", "name": "Seven", "type": "REGION"})
    assert created["errors"] == [] and created["location"]["code"] == "R7"
    renamed = run(gql, "updateLocation", {"uuid": str(tree["tahida"].uuid), "code": " r7 "})
    assert codes_of(renamed["errors"]) == [("code", "DUPLICATE")]
