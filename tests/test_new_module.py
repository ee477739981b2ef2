"""A new module touches nothing outside its folder (issue 9's contract, end to end).

The worked example of the module guide (``docs/MODULES.md``), ``tests/data/example_module/
facility``, owns a versioned model, a query, a field on the location module's ``Location``
and a delete guard on locations. In a copy of the repository it is put under
``modules/`` and added to the module list (``OPENIMIS_MODULES``); then its first
migration is made (``makemigrations facility``, as the guide says), the generated files
are regenerated, and lint, the import contracts, the generated tests (permission
matrix, fuzz, query speed, compose), the composition tests and the module's own tests
pass, with no file outside its folder changed but ``schema.graphql`` and
``supergraph.graphql``. A bad manifest stops start-up with one message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "data" / "example_module" / "facility"
BIN = Path(sys.executable).parent
MODULES = "location,payer,facility"

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the module contract does not depend on the database"
)


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "PYTHONPATH": str(cwd),
        "DATABASE_URL": f"sqlite:///{cwd / 'db.sqlite3'}",
        **env,
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=900
    )


def manage_commands(cwd: Path, *calls: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py shell`` in ``cwd`` running ``calls`` in order, each a ``call_command``
    written ``c('name', ...)``; the first that raises ends the process with an error."""
    script = "; ".join(("from django.core.management import call_command as c", *calls))
    return run([sys.executable, "manage.py", "shell", "-c", script], cwd, **env)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    """A copy of the repository's files (as git sees them) in its own git repository."""
    copy = tmp_path_factory.mktemp("repo")
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split("\0")  # fmt: skip
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    node_modules = ROOT / "federation" / "node_modules"
    if node_modules.is_dir():
        (copy / "federation" / "node_modules").symlink_to(node_modules)
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "before"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *command], cwd=copy, check=True
        )
    return copy


def add_module(repository: Path, manifest_text: str | None = None) -> Path:
    target = repository / "modules" / "facility"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    if manifest_text is not None:
        (target / "manifest.py").write_text(manifest_text)
    return target


def test_a_bad_manifest_stops_start_up_with_one_message(repository):
    manifest = (
        (EXAMPLE / "manifest.py")
        .read_text()
        .replace('{"location.Location": guards', '{"insuree.Insuree": guards')
    )
    add_module(repository, manifest)
    result = run([sys.executable, "manage.py", "check"], repository, OPENIMIS_MODULES=MODULES)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Start-up refused: module 'facility': 'insuree.Insuree' belongs to module 'insuree', "
        "which is not active."
    ]


def test_a_new_module_needs_no_change_outside_its_folder(repository):
    if not (ROOT / "federation" / "node_modules").is_dir():
        pytest.skip("federation tooling not installed: make federation-tools")
    add_module(repository)
    env = {"OPENIMIS_MODULES": MODULES}
    python = sys.executable
    made = ok(run([python, "manage.py", "makemigrations", "facility"], repository, **env))
    assert "modules/facility/migrations/0001_initial.py" in made, made
    # migrate, then write the two generated files: one process start (a failing command
    # raises, and the process exits non-zero with it)
    ok(manage_commands(repository, "c('migrate', '--noinput', verbosity=0)",
                       "c('graphql_schema')", "c('supergraph')", **env))  # fmt: skip
    schema = (repository / "schema.graphql").read_text()
    assert "healthFacilities: [HealthFacility!]" in schema
    ok(run([str(BIN / "ruff"), "check", "."], repository))
    ok(run([str(BIN / "ruff"), "format", "--check", "."], repository))
    contracts = ok(run([str(BIN / "lint-imports")], repository))
    assert "Modules are independent of one another KEPT" in contracts
    # a fresh process regenerates both files the same (as make check-schema and make
    # check-supergraph do), in one process start
    ok(manage_commands(repository, "c('graphql_schema', '--check')", "c('supergraph', '--check')",
                       **env))  # fmt: skip
    tests = ok(
        run(
            [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
             "tests/test_permissions_matrix.py", "tests/test_district_rights.py",
             "tests/test_fuzz.py",
             "tests/test_scope_leaks.py::test_no_uuid_argument_tells_a_row_of_a_type_the_user_may_not_view",
             "tests/test_schema_speed.py", "tests/test_docker_compose.py",
             "tests/test_composition.py", "tests/test_federation.py", "modules/facility"],
            repository, **env,
        )
    )  # fmt: skip
    assert " passed" in tests and " failed" not in tests
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repository, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    outside = sorted(
        line[3:]
        for line in changed
        if not line[3:].startswith("modules/facility/") and line[3:] != "db.sqlite3"
    )
    assert outside == ["schema.graphql", "supergraph.graphql"]
