"""``manage.py schema_changes``: breaking and dangerous changes of ``schema.graphql``.

Compares the working tree's ``schema.graphql`` with the one at a git revision (default:
the previous commit of ``main``, else of ``HEAD``) using graphql-core's
``find_breaking_changes`` / ``find_dangerous_changes``. Dangerous changes are listed;
breaking ones fail the command unless ``CHANGELOG.md`` names each of them, word for word,
as printed here (e.g. ``Field Location.code was removed.``).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from graphql import build_schema, find_breaking_changes, find_dangerous_changes

ROOT = Path(settings.BASE_DIR)
SCHEMA = "schema.graphql"
CHANGELOG = ROOT / "CHANGELOG.md"


@dataclass(frozen=True)
class Changes:
    """Descriptions of the breaking and the dangerous changes between two schemas."""

    breaking: list[str]
    dangerous: list[str]


def schema_changes(old_sdl: str, new_sdl: str) -> Changes:
    """Changes from ``old_sdl`` to ``new_sdl`` (two SDL documents), sorted."""
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    return Changes(
        breaking=sorted(c.description for c in find_breaking_changes(old, new)),
        dangerous=sorted(c.description for c in find_dangerous_changes(old, new)),
    )


def unacknowledged(breaking: list[str], changelog: str) -> list[str]:
    """The breaking changes that ``changelog`` (its text) does not name word for word."""
    return [change for change in breaking if change not in changelog]


def default_base(root: Path = ROOT) -> str:
    """``main~1`` when a ``main`` branch exists, else ``HEAD~1``."""
    has_main = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "main"], cwd=root, capture_output=True
    )
    return "main~1" if has_main.returncode == 0 else "HEAD~1"


def sdl_at(revision: str, root: Path = ROOT) -> str | None:
    """``schema.graphql`` at ``revision``; None when git, the revision or the file is
    missing there (a shallow or fresh clone, a first commit)."""
    try:
        shown = subprocess.run(
            ["git", "show", f"{revision}:{SCHEMA}"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except OSError:
        return None
    return shown.stdout if shown.returncode == 0 else None


class Command(BaseCommand):
    help = (
        "List breaking and dangerous changes of schema.graphql against a git revision "
        "(default: the previous commit of main). Fails on a breaking change that "
        "CHANGELOG.md does not name."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base", help="Git revision to compare with (default main~1).")
        parser.add_argument("--schema", type=Path, default=ROOT / SCHEMA, help="New SDL file.")
        parser.add_argument("--changelog", type=Path, default=CHANGELOG, help="Changelog file.")
        parser.add_argument("--repo", type=Path, default=ROOT, help="Git repository.")

    def handle(self, *args, base, schema, changelog, repo, **options):
        base = base or default_base(repo)
        old = sdl_at(base, repo)
        if old is None:
            self.stdout.write(
                f"No {SCHEMA} at {base} (first commit, shallow clone or no git): "
                "nothing to compare."
            )
            return
        changes = schema_changes(old, schema.read_text(encoding="utf-8"))
        for change in changes.dangerous:
            self.stdout.write(f"dangerous: {change}")
        for change in changes.breaking:
            self.stdout.write(f"breaking: {change}")
        text = changelog.read_text(encoding="utf-8") if changelog.is_file() else ""
        missing = unacknowledged(changes.breaking, text)
        if missing:
            raise CommandError(
                f"{len(missing)} breaking change(s) against {base} not acknowledged in "
                f"{changelog.name}: {' '.join(missing)} Name each one there, word for word, "
                "if it is intended."
            )
        self.stdout.write(
            f"{SCHEMA} against {base}: {len(changes.breaking)} breaking (acknowledged), "
            f"{len(changes.dangerous)} dangerous."
        )
