"""``manage.py import_fhir PATH... --user NAME``: create the resources of FHIR Bulk Data
NDJSON files (files, or folders holding ``*.ndjson``) through the modules' services.

Acts as ``--user`` (its permissions are checked, it is the rows' audit user); keeps the
ids and ``meta.lastUpdated``; all or nothing (see :mod:`backend.fhir.bulk`).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from backend.fhir.bulk import ImportFailed, import_files
from backend.management.long_command import LongCommand

#: Problems printed before "… and N more".
SHOWN = 50


class Command(LongCommand):
    help = (
        "Import FHIR Bulk Data NDJSON files (from export_fhir) through the modules' "
        "services, as --user; all or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="NDJSON files or folders.")
        parser.add_argument("--user", required=True, help="Username the import acts as.")

    def handle(self, *args, paths: list[Path], user: str, **options) -> None:
        acting = get_user_model().objects.filter(username=user, is_active=True).first()
        if acting is None:
            raise CommandError(f"No active user is named {user!r}.")
        files = []
        for path in paths:
            if path.is_dir():
                files += sorted(path.glob("*.ndjson"))
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"No such file or folder: {path}")
        if not files:
            raise CommandError("No .ndjson file found.")
        try:
            counts = import_files(files, user=acting)
        except ImportFailed as failed:
            shown = "\n".join(failed.problems[:SHOWN])
            more = len(failed.problems) - SHOWN
            raise CommandError(
                f"{failed}\n{shown}" + (f"\n… and {more} more." if more > 0 else "")
            ) from None
        for resource_type, count in counts.items():
            self.stdout.write(f"{resource_type}: {count} created")
