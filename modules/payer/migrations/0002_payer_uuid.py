"""Give every payer a stable uuid, also rows created before the column existed (in the
three steps of :func:`backend.versioning_migrations.add_uuid`)."""

from django.db import migrations

from backend import versioning_migrations


class Migration(migrations.Migration):

    dependencies = [
        ("payer", "0001_initial"),
    ]

    operations = versioning_migrations.add_uuid("payer", "payer")
