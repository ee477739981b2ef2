"""Give every payer a stable uuid, also rows created before the column existed.

Three steps, so that an existing database upgrades: add the column without a default
(a default would be computed once, giving every row the same uuid), fill it with a
distinct uuid4 per row, then make it unique and not null.
"""

import uuid

from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    """A distinct uuid4 for each row that has none, in batches of 1000."""
    Payer = apps.get_model("payer", "Payer")
    pending = Payer.objects.filter(uuid__isnull=True).order_by("pk")
    while batch := list(pending[:1000]):
        for row in batch:
            row.uuid = uuid.uuid4()
        Payer.objects.bulk_update(batch, ["uuid"])


class Migration(migrations.Migration):

    dependencies = [
        ("payer", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="payer",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="payer",
            name="uuid",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                help_text="Stable external identifier.",
                unique=True,
            ),
        ),
    ]
