"""The openIMIS demo database, imported from its legacy CSV exports, answers as expected."""

import pytest
from django.core.management import call_command

from tests.demo_facts import FACTS, check


@pytest.mark.django_db
def test_demo_facts_after_import(demo_dir, gql):
    call_command("import_legacy", str(demo_dir), verbosity=0)
    assert check(gql.post) == []
    assert len(FACTS) == 6
