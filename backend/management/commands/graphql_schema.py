"""``manage.py graphql_schema``: write or check the committed ``schema.graphql``."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backend.graphql.schema import get_schema

DEFAULT_PATH = Path(settings.BASE_DIR) / "schema.graphql"


def schema_sdl() -> str:
    """The SDL of the live schema (active modules), newline-terminated."""
    return get_schema().as_str() + "\n"


class Command(BaseCommand):
    help = (
        "Write the composed GraphQL schema (SDL) of the active modules to schema.graphql, "
        "or with --check fail when the committed file differs from the live schema."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=DEFAULT_PATH, help="SDL file.")
        parser.add_argument(
            "--check", action="store_true", help="Compare only; exit 1 when they differ."
        )

    def handle(self, *args, path: Path, check: bool, **options):
        sdl = schema_sdl()
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != sdl:
                raise CommandError(
                    f"{path} differs from the live schema. "
                    "Regenerate it with: python manage.py graphql_schema"
                )
            self.stdout.write(f"{path} matches the live schema.")
            return
        path.write_text(sdl, encoding="utf-8")
        self.stdout.write(f"Wrote {path} ({len(sdl.splitlines())} lines).")
