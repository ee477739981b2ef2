"""Writing, or checking, a generated file that is committed (schema.graphql,
supergraph.graphql)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError


def write_or_check(path: Path, text: str, *, check: bool, source: str, command: str) -> str:
    """Write ``text`` to ``path``, or with ``check`` compare them.

    ``source`` names what the text comes from (for the message), ``command`` how to
    regenerate the file. Returns a one-line message; raises ``CommandError`` when a
    check finds the file missing or different, naming the modules composed (so that
    a shell without the deployment's ``OPENIMIS_MODULES`` is seen for what it is).
    """
    if check:
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            modules = ",".join(settings.OPENIMIS_MODULES)
            raise CommandError(
                f"{path} differs from {source}, composed of the modules {modules} "
                "(OPENIMIS_MODULES selects them; its default is in backend/settings/base.py). "
                f"Regenerate it with: {command} (OPENIMIS_MODULES unset, or naming every "
                "module the file should hold)."
            )
        return f"{path} matches {source}."
    path.write_text(text, encoding="utf-8")
    return f"Wrote {path} ({len(text.splitlines())} lines)."
