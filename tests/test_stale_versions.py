"""Optimistic concurrency of the GraphQL writes (``expectedValidityFrom``).

Given a location or payer read by a client, when another write changes it and the client
then writes with the validityFrom it read, the write is refused (BAD_USER_INPUT,
``extensions.reason`` STALE_VERSION) and nothing changes, for every write kind of both
modules; with the current validityFrom it succeeds, and without one it behaves as
before. On SQLite and PostgreSQL (the last test needs PostgreSQL's row locks).
"""

import datetime
import json
import threading
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from backend.concurrency import StaleVersion
from modules.location import services as location_services
from modules.location.models import Location
from modules.location.tests.trees import create_tree
from modules.payer.models import Payer
from tests.legacy_helpers import snapshot
from tests.test_concurrency import one_after_the_other

pytestmark = pytest.mark.django_db

PAYLOADS = {
    "Location": "location { uuid name validityFrom validityTo } errors { field code message }",
    "Payer": "payer { uuid name validityFrom validityTo } errors { field code message }",
    "Payers": "payers { uuid validityTo } errors { field code message }",
}


@pytest.fixture
def world():
    """R1 Ultha with districts R1D1 Rapta (municipality R1D1M1 below) and R1D2 Tarak,
    R2 Tahida; payers Coffee (at Rapta) and Rice (at Tarak)."""
    tree = create_tree("ultha=R1 rapta=R1D1 achi=R1D1M1 tarak=R1D2 tahida=R2")
    tree["coffee"] = Payer.objects.create(name="Coffee", type="C", location=tree["rapta"])
    tree["rice"] = Payer.objects.create(name="Rice", type="D", location=tree["tarak"])
    return tree


def mutate(gql, mutation, input_):
    """The whole answer of ``mutation(input: input_)``."""
    noun = next(n for n in ("Payers", "Payer", "Location") if mutation.endswith(n))
    return gql.post(
        f"mutation($input: {mutation[0].upper()}{mutation[1:]}Input!) "
        f"{{ {mutation}(input: $input) {{ {PAYLOADS[noun]} }} }}",
        {"input": input_},
    )


def read_version(gql, row):
    """The validityFrom of ``row`` as a client reads it (the served string)."""
    field = "location" if isinstance(row, Location) else "payer"
    return gql.data(f'{{ {field}(uuid: "{row.uuid}") {{ validityFrom }} }}')[field]["validityFrom"]


def rename(gql, row, name):
    """Another user's write: a new version of ``row``."""
    mutation = "updateLocation" if isinstance(row, Location) else "updatePayer"
    answer = mutate(gql, mutation, {"uuid": str(row.uuid), "name": name})
    assert answer["data"][mutation]["errors"] == []


#: Every write on an existing row: (mutation, the row it names, the rest of its input).
WRITES = [
    ("updateLocation", "rapta", {"name": "Rapta Town"}),
    ("moveLocation", "achi", {"parent": "tarak"}),
    ("deleteLocation", "achi", {}),
    ("deleteLocation", "rapta", {"descendants": True, "references": "CASCADE"}),
    (
        "deleteLocation",
        "rapta",
        {"newParent": "tarak", "references": "REASSIGN", "reassignTo": "tarak"},
    ),
    ("updatePayer", "coffee", {"name": "Coffee Growers", "location": "tarak"}),
    ("deletePayer", "coffee", {}),
]


def input_for(world, key, extra, version):
    values = {k: str(world[v].uuid) if v in world else v for k, v in extra.items()}
    return {"uuid": str(world[key].uuid), **values, "expectedValidityFrom": version}


@pytest.mark.parametrize(("mutation", "key", "extra"), WRITES)
def test_a_stale_version_is_refused_and_nothing_changes(gql, world, mutation, key, extra):
    read = read_version(gql, world[key])
    rename(gql, world[key], "Changed by someone else")
    before = snapshot()
    answer = mutate(gql, mutation, input_for(world, key, extra, read))
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "reason": "STALE_VERSION"}
    assert error["path"] == [mutation]
    current = type(world[key]).objects.get(pk=world[key].pk)
    noun = current._meta.verbose_name
    assert error["message"] == (
        f"The {noun} {world[key].uuid} changed since you read it: you read the version "
        f"valid from {datetime.datetime.fromisoformat(read).isoformat()}, the current one "
        f"is valid from {current.validity_from.isoformat()}. Nothing was written; read it "
        "again and reapply your change."
    )
    assert snapshot() == before  # the rows and their history as they were


@pytest.mark.parametrize(("mutation", "key", "extra"), WRITES)
def test_the_current_version_is_written(gql, world, mutation, key, extra):
    rename(gql, world[key], "Changed before the read")
    read = read_version(gql, world[key])
    history = type(world[key]).objects.filter(legacy=world[key]).count()
    answer = mutate(gql, mutation, input_for(world, key, extra, read))
    assert "errors" not in answer, answer["errors"]
    (payload,) = answer["data"].values()
    assert payload["errors"] == []
    current = type(world[key]).objects.get(pk=world[key].pk)
    if mutation.startswith("delete"):
        assert current.validity_to is not None
        assert current.validity_from.isoformat() == read  # a delete ends this version
    else:
        assert current.validity_to is None
        assert current.validity_from.isoformat() != read  # a new version
        assert type(current).objects.filter(legacy=current).count() == history + 1


@pytest.mark.parametrize("omitted", [True, False])
def test_without_a_version_the_write_goes_ahead(gql, world, omitted):
    """Omitted or null: not compared, as before the field existed."""
    rename(gql, world["rapta"], "Changed by someone else")
    input_ = {"uuid": str(world["rapta"].uuid), "name": "Mine"}
    if not omitted:
        input_["expectedValidityFrom"] = None
    answer = mutate(gql, "updateLocation", input_)
    assert answer["data"]["updateLocation"]["errors"] == []
    assert Location.objects.get(pk=world["rapta"].pk).name == "Mine"
    names = Location.objects.filter(legacy=world["rapta"]).order_by("validity_to")
    assert [row.name for row in names] == ["Rapta", "Changed by someone else"]


def test_compared_to_the_microsecond_in_any_zone(gql, world):
    """The served value given back in another zone is the same instant; one microsecond
    off is another version (both databases keep microseconds)."""
    rapta = world["rapta"]
    Location.objects.filter(pk=rapta.pk).update(
        validity_from=datetime.datetime(2016, 6, 1, 10, 22, 33, 997000, tzinfo=datetime.UTC)
    )
    assert read_version(gql, rapta) == "2016-06-01T10:22:33.997000+00:00"
    off = {"uuid": str(rapta.uuid), "name": "X",
           "expectedValidityFrom": "2016-06-01T10:22:33.997001+00:00"}  # fmt: skip
    answer = mutate(gql, "updateLocation", off)
    assert answer["errors"][0]["extensions"]["reason"] == "STALE_VERSION"
    assert Location.objects.get(pk=rapta.pk).name == "Rapta"
    same = {**off, "expectedValidityFrom": "2016-06-01T17:22:33.997+07:00"}
    assert mutate(gql, "updateLocation", same)["data"]["updateLocation"]["errors"] == []
    assert Location.objects.get(pk=rapta.pk).name == "X"


def test_a_version_without_zone_is_refused(gql, world):
    before = snapshot()
    input_ = {"uuid": str(world["coffee"].uuid), "expectedValidityFrom": "2016-06-01T10:22:33"}
    answer = mutate(gql, "deletePayer", input_)
    (error,) = answer["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "argument": "input.expectedValidityFrom",
    }
    assert error["message"].startswith("expectedValidityFrom needs a time zone")
    assert snapshot() == before


def test_a_refused_input_is_named_from_the_field_argument(gql, world):
    """A service's refusal names the input field after the mutation's argument, as a
    query's refusal does (``filter.search``), whatever the document calls its variables
    and whether it has any (README "Error codes")."""
    before = snapshot()
    coffee, rice = world["coffee"], world["rice"]
    zoneless = gql.post(
        f'mutation {{ updatePayer(input: {{uuid: "{coffee.uuid}", '
        'expectedValidityFrom: "2016-06-01T10:22:33"}) { __typename } }'
    )
    uuids = [str(coffee.uuid), str(rice.uuid)]
    too_few = gql.post(
        "mutation ($v: [DateTime]) { deletePayers(input: "
        f"{{uuids: {json.dumps(uuids)}, expectedValidityFrom: $v}}) {{ __typename }} }}",
        {"v": [None]},
    )
    too_long = gql.post('query ($s: String) { payers(filter: {search: $s}) { totalCount } }',
                        {"s": "x" * 201})  # fmt: skip
    for answer, argument in [
        (zoneless, "input.expectedValidityFrom"),
        (too_few, "input.expectedValidityFrom"),
        (too_long, "filter.search"),
    ]:
        (error,) = answer["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}
    assert snapshot() == before


def test_a_version_finer_than_a_microsecond_is_refused_not_cut(gql, world):
    """A 7th fractional digit is another instant than the 6 kept: refused, naming the
    input and the digits, nothing written (never compared after cutting it off)."""
    rapta = world["rapta"]
    Location.objects.filter(pk=rapta.pk).update(
        validity_from=datetime.datetime(2016, 6, 1, 10, 22, 33, 997000, tzinfo=datetime.UTC)
    )
    before = snapshot()
    finer = {"uuid": str(rapta.uuid), "name": "X",
             "expectedValidityFrom": "2016-06-01T10:22:33.9970001+00:00"}  # fmt: skip
    (error,) = mutate(gql, "updateLocation", finer)["errors"]
    argument = "input.expectedValidityFrom"  # the variable $input, then its field
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}
    assert "2016-06-01T10:22:33.9970001+00:00 has 7 fractional-second digits" in error["message"]
    assert snapshot() == before
    literal = (
        f'mutation {{ updateLocation(input: {{uuid: "{rapta.uuid}", '
        'expectedValidityFrom: "2016-06-01T10:22:33.99700000001Z"}) { __typename } }'
    )
    (error,) = gql.post(literal)["errors"]  # a literal: the document does not validate
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "has 11 fractional-second digits: at most 6 (microseconds)" in error["message"]
    assert snapshot() == before


def test_zeros_past_the_microsecond_are_the_same_instant(gql, world):
    """``…33.9970000`` (.NET's ``o`` format of a served value) is the version served as
    ``…33.997000``: taken, as nothing is lost."""
    rapta = world["rapta"]
    Location.objects.filter(pk=rapta.pk).update(
        validity_from=datetime.datetime(2016, 6, 1, 10, 22, 33, 997000, tzinfo=datetime.UTC)
    )
    served = read_version(gql, rapta)
    input_ = {"uuid": str(rapta.uuid), "name": "X",
              "expectedValidityFrom": served.replace("+00:00", "0000+00:00")}  # fmt: skip
    assert input_["expectedValidityFrom"] != served
    assert mutate(gql, "updateLocation", input_)["data"]["updateLocation"]["errors"] == []
    assert Location.objects.get(pk=rapta.pk).name == "X"


def test_delete_payers_compares_each_version(gql, world):
    coffee, rice = world["coffee"], world["rice"]
    read = [read_version(gql, coffee), read_version(gql, rice)]
    rename(gql, rice, "Rice Growers")
    before = snapshot()
    uuids = [str(coffee.uuid), str(rice.uuid)]
    answer = mutate(gql, "deletePayers", {"uuids": uuids, "expectedValidityFrom": read})
    (error,) = answer["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "reason": "STALE_VERSION"}
    assert error["message"].startswith(
        f"expectedValidityFrom[1]: The payer {rice.uuid} changed since you read it"
    )
    assert snapshot() == before
    answer = mutate(gql, "deletePayers", {"uuids": uuids, "expectedValidityFrom": read[:1]})
    assert answer["errors"][0]["message"] == (
        "expectedValidityFrom has 1 value(s) for 2 row(s): give one per row, in the same "
        "order (null: that row is not compared)."
    )
    assert snapshot() == before
    answer = mutate(gql, "deletePayers", {"uuids": uuids, "expectedValidityFrom": [read[0], None]})
    assert answer["data"]["deletePayers"]["errors"] == []
    assert Payer.objects.current().filter(pk__in=[coffee.pk, rice.pk]).count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_version_is_compared_under_the_row_lock():
    """Given two writers that read the same version, when A changes the row and holds
    its lock while B writes with that version, then B waits for A's commit and is
    refused: the comparison sees A's version, not the one before it (PostgreSQL)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    user = User.objects.create_superuser("editor", password=None)
    location = Location.objects.create(code="R1", name="Original", type="R")
    read = location.validity_from
    outcome: dict[str, object] = {}

    def first(holding: threading.Event) -> None:
        with transaction.atomic():
            location_services.update_location(
                location.uuid, {"name": "A"}, user=user, expected_validity_from=read
            )
            holding.set()
            time.sleep(1.0)  # keep the row locked: B must wait for this commit

    def second() -> None:
        started = time.monotonic()
        try:
            location_services.update_location(
                location.uuid, {"name": "B"}, user=user, expected_validity_from=read
            )
            outcome["B"] = "written"
        except StaleVersion as error:
            outcome["B"] = error.extensions
        outcome["waited"] = time.monotonic() - started

    one_after_the_other(first, second)
    assert outcome["B"] == {"reason": "STALE_VERSION"}
    assert outcome["waited"] >= 0.5  # B's comparison waited for A's lock
    assert Location.objects.get(pk=location.pk).name == "A"
    assert [h.name for h in Location.objects.filter(legacy=location)] == ["Original"]
