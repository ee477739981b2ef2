"""``manage.py export_fhir DIR``: every current resource as FHIR Bulk Data NDJSON.

Writes ``DIR/Location.ndjson``, ``DIR/Organization.ndjson`` (one file per FHIR type of the
active modules, one resource per line, as ``/fhir/`` serves it); see
:mod:`backend.fhir.bulk`. Existing files of those names are replaced.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from backend.fhir.bulk import export
from backend.management.long_command import LongCommand


class Command(LongCommand):
    help = "Export the current resources as FHIR Bulk Data NDJSON files (<type>.ndjson)."

    stopped = "the files written so far may be incomplete"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="Folder to write into (created).")

    def handle(self, *args, directory: Path, **options) -> None:
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"Not a directory: {directory}")
        for resource_type, count in export(directory).items():
            self.stdout.write(f"{directory / f'{resource_type}.ndjson'}: {count} resources")
