"""Give every location a stable uuid, also rows created before the column existed (in the
three steps of :func:`backend.versioning_migrations.add_uuid`)."""

from django.db import migrations

from backend import versioning_migrations


class Migration(migrations.Migration):

    dependencies = [
        ("location", "0001_initial"),
    ]

    operations = versioning_migrations.add_uuid("location", "location")
