# Case-insensitive "contains" searches of payers (nameContains, emailContains, phone,
# search) served by trigram indexes on PostgreSQL (issue 15); nothing on SQLite.

from django.db import migrations

from backend.search_indexes import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("payer", "0005_audit_user"),
    ]

    operations = trigram_indexes("payer.Payer", "name", "email", "phone")
