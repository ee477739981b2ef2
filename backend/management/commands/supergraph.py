"""``manage.py supergraph``: the subgraphs' SDL and the composed ``supergraph.graphql``."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backend.graphql.federation import build_subgraph
from backend.management.generated import write_or_check
from backend.registry import active_modules

ROOT = Path(settings.BASE_DIR)
DEFAULT_PATH = ROOT / "supergraph.graphql"
FEDERATION_DIR = ROOT / "federation"
#: The Node.js the tooling runs on: the version pinned in federation/package.json (the
#: npm package ``node``), not the system's.
NODE = FEDERATION_DIR / "node_modules" / ".bin" / "node"
#: Where the gateway finds each subgraph: the ``subgraphs`` service of docker-compose.yml's
#: ``federated`` profile, which serves them all. The gateway overrides them with
#: SUBGRAPH_<LABEL>_URL (a module on hosts of its own).
DEFAULT_URL = "http://subgraphs:8000/graphql/{label}"


def subgraph_sdls() -> dict[str, str]:
    """The SDL of each active module's subgraph, by module label, in module order."""
    return {m.label: build_subgraph(m.label).as_str() + "\n" for m in active_modules()}


def compose(sdls: dict[str, str], url: str = DEFAULT_URL) -> str:
    """Compose ``sdls`` (label -> subgraph SDL) with ``federation/compose.mjs``
    (@theguild/federation-composition).

    Returns the supergraph SDL; raises CommandError when node or the npm packages are
    missing, or with composition's error messages when it fails.
    """
    if not NODE.is_file():
        raise CommandError(
            "Composition needs the federation tooling (with its pinned Node.js): "
            "make federation-tools (npm ci --prefix federation)"
        )
    node = str(NODE)
    subgraphs = [
        {"name": label, "url": url.format(label=label), "sdl": sdl} for label, sdl in sdls.items()
    ]
    result = subprocess.run(
        [node, str(FEDERATION_DIR / "compose.mjs")],
        input=json.dumps({"subgraphs": subgraphs}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise CommandError(f"Composition failed:\n{result.stderr.strip()}")
    return result.stdout


class Command(BaseCommand):
    help = (
        "Compose the active modules' federation subgraphs into supergraph.graphql with "
        "@theguild/federation-composition (the pinned Node.js of federation/node_modules). "
        "--print LABEL prints one subgraph's SDL; --sdl-dir writes every subgraph's SDL; "
        "--check fails when the committed supergraph differs from a fresh composition."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=DEFAULT_PATH, help="Supergraph file.")
        parser.add_argument(
            "--print", dest="print_label", metavar="LABEL", help="Print a subgraph's SDL."
        )
        parser.add_argument("--sdl-dir", type=Path, help="Write <label>.graphql per subgraph here.")
        parser.add_argument("--url", default=DEFAULT_URL, help="Subgraph URL, {label} replaced.")
        parser.add_argument(
            "--check", action="store_true", help="Compare only; exit 1 when they differ."
        )

    def handle(self, *args, path, print_label, sdl_dir, url, check, **options):
        sdls = subgraph_sdls()
        if print_label:
            if print_label not in sdls:
                raise CommandError(f"No active module {print_label!r}; active: {', '.join(sdls)}.")
            self.stdout.write(sdls[print_label], ending="")
            return
        if sdl_dir:
            sdl_dir.mkdir(parents=True, exist_ok=True)
            for label, sdl in sdls.items():
                (sdl_dir / f"{label}.graphql").write_text(sdl, encoding="utf-8")
        started = time.monotonic()
        supergraph = compose(sdls, url)
        took = time.monotonic() - started
        message = write_or_check(
            path,
            supergraph,
            check=check,
            source="the composition of the live subgraphs",
            command="python manage.py supergraph",
        )
        self.stdout.write(f"{message[:-1]} ({', '.join(sdls)} composed in {took:.1f} s).")
