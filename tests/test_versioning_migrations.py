"""The shared migration steps of the history columns (backend.versioning_migrations)."""

from __future__ import annotations

from django.db.migrations.writer import MigrationWriter

from backend import versioning_migrations


def test_add_uuid_steps_serialise_for_squashmigrations():
    add, fill, alter = versioning_migrations.add_uuid("payer", "payer")
    assert (add.name, add.field.null, alter.field.unique, alter.field.null) == (
        "uuid", True, True, False,
    )  # fmt: skip
    text, imports = MigrationWriter.serialize(fill.code)
    assert text == "backend.versioning_migrations.FillUuids('payer', 'payer')"
    assert imports == {"import backend.versioning_migrations"}
