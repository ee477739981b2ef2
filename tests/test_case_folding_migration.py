"""The unique index of current location codes folds case as ``backend.casefold`` on
both databases, and an SQLite database made before the rule gets it from
``location.0010``, which refuses (naming them, changing nothing) codes equal under it."""

from __future__ import annotations

import pytest
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

INDEX = "location_current_code_upper_unique"
ON_SQLITE = pytest.mark.skipif(connection.vendor != "sqlite", reason="an SQLite database")


def index_sql() -> str:
    """The definition of the unique index of current codes, as the database has it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [INDEX])
        else:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_index_folds_case_as_the_rule():
    expected = {
        "sqlite": 'ON "location_location" ((UNICODE_UPPER("code"))) WHERE "validity_to" IS NULL',
        # PostgreSQL's upper() is the rule's already: the index of 0005, unchanged
        "postgresql": "USING btree (upper((code)::text)) WHERE (validity_to IS NULL)",
    }[connection.vendor]
    assert index_sql().endswith(expected)


def old_index(cursor) -> None:
    """The index as 0005 built it on SQLite before the rule: SQLite's ASCII-only UPPER."""
    cursor.execute(f"DROP INDEX {INDEX}")
    cursor.execute(
        f'CREATE UNIQUE INDEX "{INDEX}" ON "location_location" (UPPER("code")) '
        'WHERE "validity_to" IS NULL'
    )


@ON_SQLITE
@pytest.mark.django_db(transaction=True)
def test_an_old_sqlite_database_gets_the_unicode_index_or_a_clear_refusal(migrator):
    old = migrator.apply_initial_migration(("location", "0009_keep_access_on_upgrade"))
    with connection.cursor() as cursor:
        old_index(cursor)
    OldLocation = old.apps.get_model("location", "Location")
    for code in ("éa1", "ÉA1", "R1", "ıx", "IX", "straße", "STRASSE"):
        OldLocation.objects.create(code=code, name=code, type="R")
    OldLocation.objects.create(
        code="Éa1", name="ended", type="R", validity_to="2020-01-01T00:00:00Z"
    )
    ids = dict(OldLocation.objects.filter(validity_to=None).values_list("code", "pk"))
    before = sorted(OldLocation.objects.values_list("pk", "code", "validity_to"))

    with pytest.raises(CommandError) as refused:
        migrator.apply_tested_migration(("location", "0010_current_code_unique_unicode"))

    assert str(refused.value) == (
        "location.Location: 2 group(s) of rows are equal ignoring case (Unicode, as on "
        f"PostgreSQL), which the unique constraint {INDEX} refuses:\n"
        f"  code 'éa1' (id {ids['éa1']}), code 'ÉA1' (id {ids['ÉA1']})\n"
        f"  code 'ıx' (id {ids['ıx']}), code 'IX' (id {ids['IX']})\n"
        "Change or end all but one row of each group, then migrate again. "
        "Nothing was changed."
    )
    assert sorted(OldLocation.objects.values_list("pk", "code", "validity_to")) == before
    assert 'UPPER("code")' in index_sql() and "UNICODE" not in index_sql()

    OldLocation.objects.filter(pk__in=[ids["ÉA1"], ids["IX"]]).update(
        validity_to="2021-01-01T00:00:00Z"
    )
    new = migrator.apply_tested_migration(("location", "0010_current_code_unique_unicode"))

    assert 'UNICODE_UPPER("code")' in index_sql()
    Location = new.apps.get_model("location", "Location")
    assert Location.objects.count() == len(before)
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.create(code="ÉA1", name="again", type="R")
    migrator.reset()
