"""``manage.py graphql_schema``: write or check the committed ``schema.graphql``."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from backend.graphql.schema import get_schema
from backend.management.generated import write_or_check

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
        self.stdout.write(
            write_or_check(
                path,
                schema_sdl(),
                check=check,
                source="the live schema",
                command="python manage.py graphql_schema",
            )
        )
