"""Writing, or checking, a generated file that is committed (schema.graphql,
supergraph.graphql)."""

from pathlib import Path

from django.core.management.base import CommandError


def write_or_check(path: Path, text: str, *, check: bool, source: str, command: str) -> str:
    """Write ``text`` to ``path``, or with ``check`` compare them.

    ``source`` names what the text comes from (for the message), ``command`` how to
    regenerate the file. Returns a one-line message; raises ``CommandError`` when a
    check finds the file missing or different.
    """
    if check:
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            raise CommandError(f"{path} differs from {source}. Regenerate it with: {command}")
        return f"{path} matches {source}."
    path.write_text(text, encoding="utf-8")
    return f"Wrote {path} ({len(text.splitlines())} lines)."
