"""The shared migration steps of the history columns (backend.versioning_migrations)."""

from __future__ import annotations

from django.apps import apps
from django.db.migrations.writer import MigrationWriter

from backend import versioning_migrations


def test_versioned_columns_are_the_versioned_models_fields():
    payer = apps.get_model("payer", "Payer")
    for name, field in versioning_migrations.versioned_columns("payer.payer"):
        assert field.deconstruct()[1:] == payer._meta.get_field(name).deconstruct()[1:]


def test_add_uuid_steps_serialise_for_squashmigrations():
    add, fill, alter = versioning_migrations.add_uuid("payer", "payer")
    assert (add.name, add.field.null, alter.field.unique, alter.field.null) == (
        "uuid", True, True, False,
    )  # fmt: skip
    text, imports = MigrationWriter.serialize(fill.code)
    assert text == "backend.versioning_migrations.FillUuids('payer', 'payer')"
    assert imports == {"import backend.versioning_migrations"}
