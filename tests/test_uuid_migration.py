"""A database whose rows were created before the uuid column existed upgrades with a
distinct uuid on every row (django-test-migrations runs the real migrations)."""

from __future__ import annotations

import uuid

import pytest


@pytest.mark.django_db(transaction=True)
def test_locations_from_before_the_uuid_column_get_distinct_uuids(migrator):
    old = migrator.apply_initial_migration(("location", "0001_initial"))
    OldLocation = old.apps.get_model("location", "Location")
    assert "uuid" not in {f.name for f in OldLocation._meta.get_fields()}
    region = OldLocation.objects.create(code="R1", name="Region", type="R")
    OldLocation.objects.create(
        code="R1", name="Old region", type="R", validity_to="2016-12-31T00:00:00Z"
    )
    OldLocation.objects.bulk_create(  # more than one batch of the data migration
        OldLocation(code=f"D{n}", name=f"District {n}", type="D", parent_id=region.pk)
        for n in range(1100)
    )

    new = migrator.apply_tested_migration(("location", "0002_location_uuid"))

    Location = new.apps.get_model("location", "Location")
    uuids = list(Location.objects.values_list("uuid", flat=True))
    assert len(uuids) == 1102
    assert all(isinstance(u, uuid.UUID) and u.version == 4 for u in uuids)
    assert len(set(uuids)) == 1102
    assert Location.objects.get(code="R1", validity_to__isnull=True).pk == region.pk
    field = Location._meta.get_field("uuid")
    assert field.unique and not field.null
    fresh = Location.objects.create(code="R2", name="New region", type="R")
    assert fresh.uuid not in set(uuids)
    migrator.reset()


@pytest.mark.django_db(transaction=True)
def test_payers_from_before_the_uuid_column_get_distinct_uuids(migrator):
    old = migrator.apply_initial_migration(("payer", "0001_initial"))
    OldPayer = old.apps.get_model("payer", "Payer")
    assert "uuid" not in {f.name for f in OldPayer._meta.get_fields()}
    OldPayer.objects.bulk_create(OldPayer(name=f"Payer {n}", type="G") for n in range(5))

    new = migrator.apply_tested_migration(("payer", "0002_payer_uuid"))

    uuids = set(new.apps.get_model("payer", "Payer").objects.values_list("uuid", flat=True))
    assert len(uuids) == 5 and None not in uuids
    migrator.reset()
