"""deletePayers: several payers by uuid, all or nothing (issue 11, item 2)."""

import uuid

import pytest

from modules.payer.models import Payer

pytestmark = pytest.mark.django_db

DELETE = (
    "mutation($uuids: [UUID!]!) { deletePayers(input: {uuids: $uuids}) "
    "{ payers { uuid name validityTo } errors { field code message } } }"
)
NO_SUCH = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def payers():
    made = [Payer.objects.create(name=f"Fund {i}", type="D") for i in range(4)]
    made.append(Payer.objects.create(name="Gone", type="D", validity_to="2020-01-01T00:00Z"))
    return made


def delete(gql, uuids):
    return gql.data(DELETE, {"uuids": [str(u) for u in uuids]})["deletePayers"]


def snapshot():
    return sorted(Payer.objects.values_list("id", "name", "validity_to", "audit_user_id"))


def test_deletes_every_payer_in_one_transaction(gql, payers):
    keys = [payers[2].uuid, payers[0].uuid, payers[3].uuid]
    result = delete(gql, keys)
    assert result["errors"] == []
    assert [p["name"] for p in result["payers"]] == ["Fund 2", "Fund 0", "Fund 3"]
    assert [p["uuid"] for p in result["payers"]] == [str(k) for k in keys]
    deleted = Payer.objects.filter(uuid__in=keys)
    assert len({p.validity_to for p in deleted}) == 1 and None not in {
        p.validity_to for p in deleted
    }
    assert list(Payer.objects.current().values_list("name", flat=True)) == ["Fund 1"]
    assert Payer.objects.count() == 5  # nothing removed


def test_one_bad_uuid_deletes_nothing_and_every_bad_one_is_named(gql, payers):
    before = snapshot()
    keys = [payers[0].uuid, NO_SUCH, payers[1].uuid, payers[4].uuid, payers[0].uuid]
    result = delete(gql, keys)
    assert result["payers"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("uuids", "NOT_FOUND"),
        ("uuids", "NOT_CURRENT"),
        ("uuids", "DUPLICATE"),
    ]
    assert [e["message"] for e in result["errors"]] == [
        f"uuids[1]: no payer has uuid {NO_SUCH}.",
        f"uuids[3]: {payers[4].uuid} (Gone) is not current.",
        f"uuids[4]: {payers[0].uuid} is given twice.",
    ]
    assert snapshot() == before


def test_an_empty_list_and_too_many_are_refused(gql, payers, settings):
    before = snapshot()
    assert [(e["field"], e["code"]) for e in delete(gql, [])["errors"]] == [("uuids", "REQUIRED")]
    settings.GRAPHQL_MAX_PAGE_SIZE = 3
    result = delete(gql, [uuid.uuid4() for _ in range(4)])
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("uuids", "TOO_MANY")]
    assert "at most 3" in result["errors"][0]["message"]
    assert snapshot() == before


def test_needs_the_delete_permission(gql_as, payers):
    viewer = gql_as("payer.view_payer", username="viewer")
    before = snapshot()
    result = viewer.post(DELETE, {"uuids": [str(payers[0].uuid)]})
    assert result["data"] is None
    assert "payer.delete_payer" in result["errors"][0]["message"]
    assert snapshot() == before


def test_query_count_does_not_grow_with_the_number_of_payers(gql, count_queries):
    small = [Payer.objects.create(name=f"S{i}", type="D").uuid for i in range(2)]
    large = [Payer.objects.create(name=f"L{i}", type="D").uuid for i in range(20)]
    _, few = count_queries(delete, gql, small)
    _, many = count_queries(delete, gql, large)
    assert len(few) == len(many)
