"""The materialised path and the ``subtree`` lookup other modules use by name."""

import pytest
from django.db import connection

from backend.registry import lookup
from modules.location import services
from modules.location.models import PATH_STEP, Location, rebuild_paths
from modules.location.tests.trees import create_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """R1 > R1D1 > R1D1W1 > R1D1W1V1, R1D1W1V2; R2 > R2D1."""
    return create_tree("r1=R1 d1=R1D1 w1=R1D1W1 v1=R1D1W1V1 v2=R1D1W1V2 r2=R2 d2=R2D1")


def codes(queryset):
    return sorted(queryset.values_list("code", flat=True))


def below(location):
    return codes(Location.objects.current().below(location.uuid))


def test_a_path_is_the_ancestors_uuids_and_its_own(tree):
    v1 = Location.objects.get(pk=tree["v1"].pk)
    assert v1.path == "".join(tree[n].uuid.hex for n in ("r1", "d1", "w1", "v1"))
    assert [Location.objects.get(pk=tree[n].pk).depth for n in ("r1", "d1", "w1", "v1")] == [
        0,
        1,
        2,
        3,
    ]


def test_below_is_every_level_under_a_location_and_not_itself(tree):
    assert below(tree["r1"]) == ["R1D1", "R1D1W1", "R1D1W1V1", "R1D1W1V2"]
    assert below(tree["w1"]) == ["R1D1W1V1", "R1D1W1V2"]
    assert below(tree["v1"]) == []
    assert below(tree["r2"]) == ["R2D1"]


def test_the_published_lookup_works_at_any_depth_and_through_a_relation(tree):
    """Seven levels (the model does not limit depth; the services keep R/D/W/V)."""
    parent = tree["v1"]
    for level in range(3):
        parent = Location.objects.create(code=f"X{level}", name="Deep", type="V", parent=parent)
    subtree = lookup("location.subtree")
    assert codes(Location.objects.filter(subtree("", tree["r1"].uuid))) == [
        "R1", "R1D1", "R1D1W1", "R1D1W1V1", "R1D1W1V2", "X0", "X1", "X2",
    ]  # fmt: skip
    # through a relation, as the payer module filters its payers by their location
    children = Location.objects.filter(subtree("parent", tree["v1"].uuid, include_self=False))
    assert codes(children) == ["X1", "X2"]
    assert codes(Location.objects.filter(subtree("", tree["r1"].uuid.__class__(int=1)))) == []
    assert lookup("location.depth")(Location.objects.get(code="X2")) == 6
    depths = Location.objects.filter(lookup("location.at_depth")("", [0, 1]))
    assert codes(depths) == ["R1", "R1D1", "R2", "R2D1"]


def test_a_move_carries_the_subtree(tree, make_user):
    editor = make_user("editor", superuser=True)
    services.move_location(tree["w1"].uuid, tree["d2"].uuid, user=editor)
    assert below(tree["r1"]) == ["R1D1"]
    assert below(tree["r2"]) == ["R1D1W1", "R1D1W1V1", "R1D1W1V2", "R2D1"]
    v1 = Location.objects.get(pk=tree["v1"].pk)
    assert v1.path.startswith(tree["r2"].uuid.hex + tree["d2"].uuid.hex)
    # the history row of the move keeps the values it had (its path follows the subtree)
    history = Location.objects.history().get(legacy=tree["w1"])
    assert history.parent_id == tree["d1"].pk


def test_an_update_of_the_parent_and_a_delete_with_new_parent_carry_the_subtree(tree, make_user):
    editor = make_user("editor", superuser=True)
    services.update_location(tree["w1"].uuid, {"parent_id": tree["d2"].pk}, user=editor)
    assert below(tree["d2"]) == ["R1D1W1", "R1D1W1V1", "R1D1W1V2"]
    w2 = services.create_location(
        {"code": "R2D1W2", "name": "Boeng", "type": "W"}, parent=tree["d2"].uuid, user=editor
    )
    services.delete_location(tree["w1"].uuid, new_parent=w2.uuid, user=editor)
    assert below(Location.objects.get(pk=w2.pk)) == ["R1D1W1V1", "R1D1W1V2"]
    assert below(tree["r2"]) == ["R1D1W1V1", "R1D1W1V2", "R2D1", "R2D1W2"]


def test_rebuild_paths_fills_rows_loaded_in_bulk(tree):
    Location.objects.update(path="")
    assert below(tree["r1"]) == []
    assert rebuild_paths() == 7
    assert below(tree["r1"]) == ["R1D1", "R1D1W1", "R1D1W1V1", "R1D1W1V2"]
    assert rebuild_paths() == 0
    assert all(len(p) % PATH_STEP == 0 for p in Location.objects.values_list("path", flat=True))


def test_a_broken_parent_chain_is_named(tree):
    Location.objects.filter(pk=tree["w1"].pk).update(parent_id=tree["v1"].pk)  # a loop
    with pytest.raises(ValueError, match="parent chain is broken or loops"):
        rebuild_paths()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_postgresql_serves_the_subtree_from_the_path_index(tree):
    queryset = Location.objects.filter(lookup("location.subtree")("", tree["r1"].uuid)).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "location_path" in plan and "Index" in plan, plan
