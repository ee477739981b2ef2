# Current location codes are unique ignoring case for every letter, not only ASCII
# (backend/casefold.py): on SQLite, the index of 0005 was built with SQLite's ASCII-only
# UPPER, and is built again with UNICODE_UPPER (backend/database/sqlite). Refuses, naming
# them, when current codes already differ only in case beyond ASCII ('éa1', 'ÉA1'):
# change or end all but one, then migrate again. PostgreSQL: nothing changes.

from django.db import migrations

from backend.casefold_migration import refold_unique_index


class Migration(migrations.Migration):
    dependencies = [
        ("location", "0009_keep_access_on_upgrade"),
    ]

    operations = [
        refold_unique_index("location.Location", "location_current_code_upper_unique"),
    ]
