"""A mutation operation is all or nothing: what its answer shows as done is what is written.

GraphQL runs a document's mutation fields one after the other (spec "Executing
Operations", mutation: serially) and answers each as far as it got. An answer with an
error in its ``errors`` list (a mutation refused with STALE_VERSION, FORBIDDEN,
OUTSIDE_DISTRICTS, ..., or an error in a payload's selection after the write) has null
``data`` and wrote nothing, the earlier mutations of the document included. A refusal
reported in a payload's ``errors`` list (a rule of the module's service) is no GraphQL
error: each mutation's payload says whether it was written.
"""

import pytest

from modules.location.models import Location
from modules.location.tests.trees import create_tree
from modules.payer.models import Payer
from tests.test_stale_versions import read_version, rename

pytestmark = pytest.mark.django_db

TWO_RENAMES = """
mutation($a: UpdateLocationInput!, $b: UpdateLocationInput!) {
  a: updateLocation(input: $a) { location { name } errors { code } }
  b: updateLocation(input: $b) { location { name } errors { code } }
}"""


@pytest.fixture
def world():
    """R1 Ultha with districts R1D1 Rapta and R1D2 Tarak; payer Coffee at Rapta."""
    tree = create_tree("ultha=R1 rapta=R1D1 tarak=R1D2")
    tree["coffee"] = Payer.objects.create(name="Coffee", type="C", location=tree["rapta"])
    return tree


def versions(row) -> list[str]:
    """The names of every version of ``row``, current first."""
    model = type(row)
    history = model.objects.filter(legacy_id=row.pk).order_by("-validity_from")
    return [model.objects.get(pk=row.pk).name, *history.values_list("name", flat=True)]


def test_a_refused_later_mutation_leaves_the_earlier_ones_unwritten(gql, world):
    rapta = world["rapta"]
    read = read_version(gql, rapta)
    uuid = str(rapta.uuid)
    answer = gql.post(
        TWO_RENAMES,
        {
            "a": {"uuid": uuid, "name": "Doc A", "expectedValidityFrom": read},
            "b": {"uuid": uuid, "name": "Doc B", "expectedValidityFrom": read},
        },
    )
    assert answer["data"] is None
    assert [e["extensions"]["reason"] for e in answer["errors"]] == ["STALE_VERSION"]
    assert [e["path"] for e in answer["errors"]] == [["b"]]
    assert versions(rapta) == ["Rapta"]  # "Doc A" was undone with the document
    assert read_version(gql, rapta) == read


def test_a_forbidden_mutation_undoes_the_document(gql_as, world):
    editor = gql_as("location.change_location", "location.view_location", "payer.view_payer")
    answer = editor.post(
        """mutation($l: UpdateLocationInput!, $p: UpdatePayerInput!) {
          a: updateLocation(input: $l) { location { name } errors { code } }
          b: updatePayer(input: $p) { payer { name } errors { code } }
        }""",
        {
            "l": {"uuid": str(world["tarak"].uuid), "name": "Tarak renamed"},
            "p": {"uuid": str(world["coffee"].uuid), "name": "Tea"},
        },
    )
    assert answer["data"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
    assert versions(world["tarak"]) == ["Tarak"]
    assert versions(world["coffee"]) == ["Coffee"]


def rename_both(gql, world, tarak_name: str) -> dict:
    """The answer to one document renaming Rapta "Doc A", then Tarak ``tarak_name``."""
    renames = {"a": ("rapta", "Doc A"), "b": ("tarak", tarak_name)}
    variables = {k: {"uuid": str(world[key].uuid), "name": n} for k, (key, n) in renames.items()}
    return gql.post(TWO_RENAMES, variables)


def test_mutations_that_all_succeed_are_all_written(gql, world):
    rapta, tarak = world["rapta"], world["tarak"]
    answer = rename_both(gql, world, "Doc B")
    assert answer["data"] == {
        "a": {"location": {"name": "Doc A"}, "errors": []},
        "b": {"location": {"name": "Doc B"}, "errors": []},
    }
    assert versions(rapta) == ["Doc A", "Rapta"]
    assert versions(tarak) == ["Doc B", "Tarak"]


def test_a_payload_refusal_keeps_what_the_answer_shows_written(gql, world):
    rapta, tarak = world["rapta"], world["tarak"]
    answer = rename_both(gql, world, "")
    assert answer["data"]["a"] == {"location": {"name": "Doc A"}, "errors": []}
    assert answer["data"]["b"] == {"location": None, "errors": [{"code": "REQUIRED"}]}
    assert versions(rapta) == ["Doc A", "Rapta"]
    assert versions(tarak) == ["Tarak"]
    assert Location.objects.filter(uuid=tarak.uuid, validity_to__isnull=True).count() == 1


def test_a_mutation_after_the_refused_one_is_not_written(gql, world):
    """Whether or not it runs, the answer shows it not done, so it is not written."""
    rapta, tarak = world["rapta"], world["tarak"]
    read = read_version(gql, rapta)
    rename(gql, rapta, "Changed by someone else")
    answer = gql.post(
        TWO_RENAMES,
        {
            "a": {"uuid": str(rapta.uuid), "name": "Doc A", "expectedValidityFrom": read},
            "b": {"uuid": str(tarak.uuid), "name": "Doc B"},
        },
    )
    assert answer["data"] is None
    assert versions(tarak) == ["Tarak"]


def test_mutations_in_a_fragment_are_one_transaction_too(gql, world):
    rapta = world["rapta"]
    read = read_version(gql, rapta)
    uuid = str(rapta.uuid)
    answer = gql.post(
        """mutation($a: UpdateLocationInput!, $b: UpdateLocationInput!) { ...Both }
        fragment Both on Mutation {
          a: updateLocation(input: $a) { errors { code } }
          b: updateLocation(input: $b) { errors { code } }
        }""",
        {
            "a": {"uuid": uuid, "name": "Doc A", "expectedValidityFrom": read},
            "b": {"uuid": uuid, "name": "Doc B", "expectedValidityFrom": read},
        },
    )
    assert answer["data"] is None
    assert versions(rapta) == ["Rapta"]


def test_an_error_in_a_payload_selection_undoes_its_write(gql):
    """A page size out of range in the payload nulls its payer: nothing may be written,
    or a client retrying the "failed" create would create the payer twice."""
    for first in (-5, 5000):
        answer = gql.post(
            f"""mutation {{ a: createPayer(input: {{name: "Twice?", type: DONOR}}) {{
              payer {{ uuid historyConnection(first: {first}) {{ totalCount }} }}
              errors {{ code }} }} }}"""
        )
        assert answer["data"] is None
        assert [e["path"] for e in answer["errors"]] == [["a", "payer", "historyConnection"]]
        assert not Payer.objects.filter(name="Twice?").exists()


def test_one_mutation_without_errors_is_written(gql, world):
    answer = gql.post(
        """mutation($i: UpdatePayerInput!) { updatePayer(input: $i) { payer { name } } }""",
        {"i": {"uuid": str(world["coffee"].uuid), "name": "Tea"}},
    )
    assert answer == {"data": {"updatePayer": {"payer": {"name": "Tea"}}}}
    assert versions(world["coffee"]) == ["Tea", "Coffee"]
