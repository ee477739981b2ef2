"""Check the hashed lock files (``requirements/*.txt``): CI runs it as ``make check-lock``.

1. The locks match ``pyproject.toml``: ``uv pip compile`` is run again, with the committed
   locks as its starting point (uv keeps a locked version unless pyproject.toml forces
   another), and must write the same files (the lines naming packages and hashes).
2. Two clean installs give the same versions: for each lock, two new virtual
   environments in a temporary folder, each installed with
   ``pip install --require-hashes --no-deps -r LOCK``; their ``pip list`` (name ==
   version, pip itself left out) must be identical to each other and to the lock's pins.

Prints one line per check; exits 1 naming every difference. Needs the package index
(PyPI) and ``uv`` (the dev extra).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from packaging.markers import Marker

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {
    "main": ["--extra", "demo", "--extra", "otel"],
    "dev": ["--extra", "dev", "--extra", "bench", "--extra", "demo", "--extra", "otel"],
}
COMPILE = ["pip", "compile", "pyproject.toml", "requirements/build.in", "--universal"]
COMPILE += ["--python-version", "3.11", "--generate-hashes", "--quiet"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)(?:\s*;\s*([^\\]+))?", re.MULTILINE)


def canonical(name: str) -> str:
    """A distribution name as PEP 503 normalises it (``Django`` -> ``django``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict[str, str]:
    """``{name: version}`` of a lock file's ``name==version`` lines whose environment
    marker (``; sys_platform == 'win32'``) holds on this machine."""
    return {
        canonical(name): version
        for name, version, marker in PIN.findall(lock.read_text(encoding="utf-8"))
        if not marker or Marker(marker.strip()).evaluate()
    }


def body(text: str) -> list[str]:
    """A lock's pins and hashes, without comments (which name the paths compiled)."""
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")]


def check_compiled(uv: str, workdir: Path) -> list[str]:
    """Problems of the committed locks against a fresh compile of pyproject.toml."""
    problems = []
    for name, extras in LOCKS.items():
        committed = ROOT / "requirements" / f"{name}.txt"
        fresh = workdir / f"{name}.txt"
        shutil.copy(committed, fresh)  # uv starts from the locked versions
        constraint = ["-c", str(workdir / "main.txt")] if name != "main" else []
        subprocess.run([uv, *COMPILE, *extras, *constraint, "-o", str(fresh)], cwd=ROOT, check=True)
        diff = list(
            difflib.unified_diff(
                body(committed.read_text(encoding="utf-8")),
                body(fresh.read_text(encoding="utf-8")),
                f"requirements/{name}.txt (committed)",
                "compiled from pyproject.toml",
                lineterm="",
            )
        )
        if diff:
            problems.append(
                f"requirements/{name}.txt is out of date (run make lock):\n" + "\n".join(diff)
            )
        else:
            print(f"requirements/{name}.txt matches pyproject.toml")
    return problems


def clean_install(lock: Path, target: Path) -> dict[str, str]:
    """Install ``lock`` into a new virtual environment; return its ``{name: version}``."""
    venv.create(target, with_pip=True)
    python = str(target / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps", "-r", lock],
        check=True,
    )
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {canonical(p["name"]): p["version"] for p in json.loads(listed) if p["name"] != "pip"}


def check_installs(workdir: Path) -> list[str]:
    """Problems of two clean installs of each lock (differences between them or to the lock)."""
    problems = []
    for name in LOCKS:
        lock = ROOT / "requirements" / f"{name}.txt"
        first = clean_install(lock, workdir / f"{name}-1")
        second = clean_install(lock, workdir / f"{name}-2")
        if first != second:
            changed = sorted(set(first.items()) ^ set(second.items()))
            problems.append(f"two installs of requirements/{name}.txt differ: {changed}")
        elif first != pins(lock):
            changed = sorted(set(first.items()) ^ set(pins(lock).items()))
            problems.append(f"an install of requirements/{name}.txt is not the lock: {changed}")
        else:
            print(f"requirements/{name}.txt: two clean installs, the same {len(first)} versions")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--skip-compile", action="store_true", help="Only the two clean installs of each lock."
    )
    parser.add_argument(
        "--skip-install", action="store_true", help="Only the comparison with pyproject.toml."
    )
    args = parser.parse_args(argv)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    problems = []
    with tempfile.TemporaryDirectory(prefix="check-lock-") as tmp:
        if not args.skip_compile:
            if uv is None:
                parser.error("uv is not installed (it is in the dev extra: make install)")
            problems += check_compiled(uv, Path(tmp))
        if not args.skip_install:
            problems += check_installs(Path(tmp))
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
