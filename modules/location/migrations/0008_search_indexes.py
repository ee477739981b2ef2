# Case-insensitive "contains" searches of locations (nameContains, codeContains, search)
# served by trigram indexes on PostgreSQL (issue 15); nothing on SQLite.

from django.db import migrations

from backend.search_indexes import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("location", "0007_audit_user"),
    ]

    operations = trigram_indexes("location.Location", "name", "code")
