"""The container setup (Dockerfile, docker/entrypoint.sh, docker-compose.yml) agrees with
the settings, the packaging and itself.

No Docker engine is needed: the files are parsed and checked against ``backend/settings/``,
``pyproject.toml`` and the repository. ``docker compose config`` runs only where the compose
plugin is installed, and is skipped elsewhere.
"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
import urllib.parse
from pathlib import Path

import environ
import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

from backend import healthcheck
from backend.registry import active_modules, subgraph_modules

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
SETTINGS = ROOT / "backend" / "settings"  # a package: __init__.py and its parts

# What an operator would put in .env: nothing is needed (the secrets are files).
OPERATOR_ENV: dict[str, str] = {}


# --- helpers -------------------------------------------------------------------------


class MissingVariable(Exception):
    """A ``${VAR:?message}`` whose variable is unset, as docker compose refuses it."""


_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value, env: dict[str, str]):
    """Docker compose variable interpolation (``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-x}``,
    ``${VAR-x}``, ``${VAR:?msg}``, ``${VAR?msg}``), applied recursively to YAML values."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["plain"]
        op, arg = match["op"], match["arg"]
        present = name in env
        usable = present and (env[name] != "" or not (op or "").startswith(":"))
        if op in (":-", "-"):
            return env[name] if usable else arg
        if op in (":?", "?"):
            if not usable:
                raise MissingVariable(f"{name}: {arg}")
            return env[name]
        return env.get(name, "")

    return _INTERPOLATION.sub(substitute, value)


def load_compose(env: dict[str, str] | None = None) -> dict:
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    return interpolate(raw, OPERATOR_ENV if env is None else env)


def service_environment(service: dict) -> dict[str, str]:
    """A service's ``environment`` as a dict, whether written as a mapping or a list."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(
            item.split("=", 1) if "=" in item else (item, "") for item in environment
        )
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def settings_env_names() -> set[str]:
    """Names that backend/settings (and backend/logs.py, which reads LOG_FORMAT and
    LOG_LEVEL for them) read: ``env("X"``, ``env.<type>("X"``, and for each ``X_FILE``
    (the settings read every variable from a file as well)."""
    parts = [*sorted(SETTINGS.glob("*.py")), SETTINGS.parent / "logs.py"]
    source = "\n".join(part.read_text() for part in parts)
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))
    assert "DATABASE_URL" in names, "the settings parser found nothing; has backend/settings moved?"
    return names | {f"{name}_FILE" for name in names}


def entrypoint_env_names() -> set[str]:
    """Variables that docker/entrypoint.sh reads (``$X`` / ``${X...}``)."""
    return set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", ENTRYPOINT.read_text()))


def gunicorn_bind_port() -> int:
    match = re.search(r"--bind[= ]\"?[^\s\"]*:(\d+)", ENTRYPOINT.read_text())
    assert match, "docker/entrypoint.sh does not pass --bind HOST:PORT to gunicorn"
    return int(match[1])


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    result = []
    for line in lines:
        instruction, _, arguments = line.partition(" ")
        result.append((instruction.upper(), arguments.strip()))
    return result


def exec_form(arguments: str) -> list[str]:
    """The argument list of a CMD/ENTRYPOINT in exec (JSON) or shell form."""
    if arguments.startswith("["):
        return json.loads(arguments)
    return shlex.split(arguments)


def dockerfile_copies() -> list[tuple[list[str], str]]:
    """(sources, absolute destination) of each COPY/ADD from the build context."""
    copies, workdir = [], "/"
    for instruction, arguments in dockerfile_instructions():
        if instruction == "WORKDIR":
            workdir = os.path.join(workdir, arguments)
        elif instruction in ("COPY", "ADD"):
            parts = [p for p in shlex.split(arguments) if not p.startswith("--")]
            if any(p.startswith("--from") for p in shlex.split(arguments)):
                continue
            *sources, destination = parts
            copies.append((sources, os.path.join(workdir, destination)))
    return copies


def container_to_repo_path(container_path: str) -> Path | None:
    """The repository file that a COPY puts at ``container_path`` in the image."""
    for sources, destination in dockerfile_copies():
        for source in sources:
            if destination.endswith("/"):
                if container_path == destination + Path(source).name:
                    return ROOT / source
                if container_path.startswith(destination + Path(source).name + "/"):
                    return ROOT / source / container_path[len(destination + source) + 1 :]
            elif container_path == destination:
                return ROOT / source
            elif container_path.startswith(destination + "/"):
                return ROOT / source / container_path[len(destination) + 1 :]
    return None


def final_workdir() -> str:
    workdir = "/"
    for instruction, arguments in dockerfile_instructions():
        if instruction == "WORKDIR":
            workdir = os.path.join(workdir, arguments)
    return workdir


# --- docker-compose.yml ---------------------------------------------------------------


def test_compose_has_db_and_backend_services():
    services = load_compose()["services"]
    assert {"db", "backend"} <= set(services)
    assert services["db"]["image"].startswith("postgres:16")
    assert services["backend"]["build"] in (".", {"context": "."}) or services["backend"][
        "build"
    ].get("context") in (".", "./")


def secret_path(service: dict, name: str) -> str:
    """Where a service sees the compose secret ``name`` (the default target)."""
    assert name in service.get("secrets", []), f"the service does not get secret {name}"
    return f"/run/secrets/{name}"


def test_database_url_points_at_the_db_service():
    compose = load_compose()
    db, backend = compose["services"]["db"], compose["services"]["backend"]
    db_env, backend_env = service_environment(db), service_environment(backend)

    config = environ.Env.db_url_config(backend_env["DATABASE_URL"])

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["HOST"] == "db"
    assert int(config["PORT"]) == 5432
    assert config["NAME"] == db_env["POSTGRES_DB"]
    assert config["USER"] == db_env["POSTGRES_USER"]
    # the password is in no URL and no variable: both read the one secret file
    assert config["PASSWORD"] == ""
    assert "POSTGRES_PASSWORD" not in db_env
    assert db_env["POSTGRES_PASSWORD_FILE"] == secret_path(db, "db_password")
    assert backend_env["DATABASE_PASSWORD_FILE"] == secret_path(backend, "db_password")


def test_secrets_are_files_with_no_default_value():
    """No password or key is written in the compose file: the secrets are files the
    operator creates (kept out of git and of the image), and docker compose refuses to
    start without them."""
    compose = load_compose()
    secrets = compose["secrets"]
    assert set(secrets) == {"secret_key", "db_password"}
    for secret in secrets.values():
        assert Path(secret["file"]).parts[0] == "secrets", secret  # ./secrets/<name>
    assert "secrets/" in (ROOT / ".gitignore").read_text().splitlines()
    assert "secrets" in DOCKERIGNORE.read_text().splitlines()
    backend = compose["services"]["backend"]
    assert service_environment(backend)["SECRET_KEY_FILE"] == secret_path(backend, "secret_key")
    for name, service in compose["services"].items():
        environment = service_environment(service)
        for variable in ("SECRET_KEY", "POSTGRES_PASSWORD", "DATABASE_PASSWORD"):
            assert variable not in environment, f"{name} sets {variable}"
    # another place for the files, e.g. managed by the operator's tooling
    moved = load_compose({"SECRET_KEY_FILE": "/etc/openimis/key"})["secrets"]["secret_key"]
    assert moved["file"] == "/etc/openimis/key"


def test_ports_are_published_on_localhost_unless_configured():
    for env, address in (({}, "127.0.0.1"), ({"PUBLISH_ADDRESS": "0.0.0.0"}, "0.0.0.0")):
        services = load_compose(env)["services"]
        published = [
            (name, str(mapping))
            for name, service in services.items()
            for mapping in service.get("ports", [])
        ]
        assert published
        for name, mapping in published:
            # the legacy SQL Server is for an import on this machine: always local
            expected = "127.0.0.1" if name == "legacy-mssql" else address
            assert mapping.startswith(f"{expected}:"), f"{name} publishes {mapping}"


def test_backend_sets_only_variables_something_reads():
    backend_env = service_environment(load_compose()["services"]["backend"])
    known = settings_env_names() | entrypoint_env_names()
    unknown = sorted(set(backend_env) - known)
    assert not unknown, (
        f"backend environment sets {unknown}, which neither backend/settings/ nor "
        "docker/entrypoint.sh reads (a typo, or a setting that was renamed?)"
    )


def test_settings_accept_the_backend_environment(read_settings, monkeypatch, tmp_path):
    """Read the real settings afresh with the compose environment (nothing else the
    settings read): the SECRET_KEY / ALLOWED_HOSTS / OPENIMIS_MODULES checks in
    settings.py must pass."""
    backend_env = service_environment(load_compose()["services"]["backend"])
    for name in settings_env_names():
        monkeypatch.delenv(name, raising=False)
    env = dict(backend_env)
    # the secret files, where the test can write them
    for name, value in env.items():
        if name.endswith("_FILE") and value.startswith("/run/secrets/"):
            path = tmp_path / Path(value).name
            path.write_text(f"{Path(value).name}-value\n")
            env[name] = str(path)
    loaded = read_settings(**env)
    db = loaded["DATABASES"]["default"]
    assert db["ENGINE"] == "backend.database"  # django-prometheus': query metrics
    assert db["HOST"] == "db"
    assert loaded["DEBUG"] is False
    assert db["PASSWORD"] == "db_password-value"  # the file's content, line break dropped
    assert loaded["SECRET_KEY"] == "secret_key-value"
    assert loaded["ALLOWED_HOSTS"] == backend_env["ALLOWED_HOSTS"].split(",")
    assert [f"modules.{m}" for m in loaded["OPENIMIS_MODULES"]] == [
        app for app in loaded["INSTALLED_APPS"] if app.startswith("modules.")
    ]


#: The optional settings file of the services that run the backend (compose's env_file).
SETTINGS_FILE = "openimis.env"

#: What an operator may put in it: settings the compose file does not list.
OPERATOR_SETTINGS = {
    "LEGACY_TIME_ZONE": "Africa/Dar_es_Salaam",
    "TIME_ZONE": "Asia/Phnom_Penh",
    "BEHIND_TLS_PROXY": "true",
    "AXES_IPWARE_PROXY_COUNT": "1",
    "DATABASE_POOL_TIMEOUT": "7",
    "GRAPHQL_TRACING": "false",
    "LOG_LEVEL": "WARNING",
    "GUNICORN_CMD_ARGS": "--timeout 60",
    # listed under `environment:` too: that value wins (compose's precedence)
    "DEBUG": "true",
}


def test_backend_services_read_the_optional_settings_file():
    """Any setting reaches the services that run the backend (``docker compose run backend
    python manage.py import_legacy`` too) from openimis.env, which may be absent, and is
    kept out of git and of the image as the secrets are."""
    services = load_compose()["services"]
    for name in ("backend", "subgraphs"):
        assert services[name]["env_file"] == [{"path": SETTINGS_FILE, "required": False}], name
    assert SETTINGS_FILE in (ROOT / ".gitignore").read_text().splitlines()
    assert SETTINGS_FILE in DOCKERIGNORE.read_text().splitlines()
    header = COMPOSE_FILE.read_text().partition("\nname:")[0]
    assert SETTINGS_FILE in header and "LEGACY_TIME_ZONE" in header
    readme = (ROOT / "README.md").read_text()
    assert f"`{SETTINGS_FILE}`" in readme.partition("## Docker compose")[2].partition("\n## ")[0]
    recipe = re.search(r"docker compose run .* (\w+) python manage\.py import_legacy", readme)
    assert recipe and recipe[1] == "backend"  # the service that reads the file


def test_settings_from_the_settings_file_reach_the_backend(read_settings, monkeypatch, tmp_path):
    """The backend's environment as compose makes it, openimis.env's variables under the
    service's ``environment:`` (which wins), read by the settings."""
    backend = load_compose()["services"]["backend"]
    for name in settings_env_names():
        monkeypatch.delenv(name, raising=False)
    env = {**OPERATOR_SETTINGS, **service_environment(backend)}
    for name, value in env.items():
        if name.endswith("_FILE") and value.startswith("/run/secrets/"):
            (tmp_path / Path(value).name).write_text("a-long-enough-value\n")
            env[name] = str(tmp_path / Path(value).name)
    loaded = read_settings(**env)
    assert loaded["LEGACY_TIME_ZONE"] == "Africa/Dar_es_Salaam"
    assert loaded["TIME_ZONE"] == "Asia/Phnom_Penh"
    assert loaded["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert loaded["TRUSTED_PROXY_COUNT"] == 1
    assert loaded["DATABASES"]["default"]["OPTIONS"]["pool"]["timeout"] == 7
    assert loaded["DEBUG"] is False  # the compose file's own value


def test_both_restore_recipes_restore_into_an_empty_database():
    """README "Backups": a restore drops and creates the database, then restores into it,
    with or without compose; ``pg_restore --clean`` cannot drop what a newer version's
    migrations made depend on the dumped tables, so no recipe runs it."""
    readme = (ROOT / "README.md").read_text()
    section = readme.partition("**Backups.**")[2].partition("**Upgrading.**")[0]
    commands = [
        line.split("#")[0].strip()
        for block in re.findall(r"```sh\n(.*?)```", section, re.S)
        for line in block.splitlines()
    ]
    restores = [c for c in commands if re.search(r"\b(dropdb|createdb|pg_restore)\b", c)]
    steps = [re.search(r"\b(dropdb|createdb|pg_restore)\b", c)[1] for c in restores]
    assert steps == ["dropdb", "createdb", "pg_restore"] * 2, restores
    assert sum("docker compose exec -T db" in c for c in restores) == 3
    assert not [c for c in commands if "--clean" in c]
    assert any(re.match(r"docker compose .*stop backend", c) for c in commands)


def served_modules(service: dict) -> list[str]:
    """The modules a compose service serves: its OPENIMIS_MODULES, else the image's
    default, the module list of this checkout's settings (test_new_module's nested run
    sets OPENIMIS_MODULES where an author edits DEFAULT_MODULES)."""
    given = service_environment(service).get("OPENIMIS_MODULES")
    listed = given.split(",") if given is not None else settings.OPENIMIS_MODULES
    return [m.strip() for m in listed if m.strip()]


def test_openimis_modules_name_existing_modules():
    modules = served_modules(load_compose()["services"]["backend"])
    assert modules
    for name in modules:
        assert (ROOT / "modules" / name / "apps.py").is_file(), f"no module modules/{name}/"


def test_published_port_is_the_port_gunicorn_binds():
    backend = load_compose()["services"]["backend"]
    port = gunicorn_bind_port()

    container_ports = []
    for mapping in backend["ports"]:
        if isinstance(mapping, dict):
            container_ports.append(int(mapping["target"]))
        else:
            container_ports.append(int(str(mapping).split("/")[0].rsplit(":", 1)[-1]))
    assert container_ports == [port]

    exposed = [a for i, a in dockerfile_instructions() if i == "EXPOSE"]
    assert exposed and all(int(p.split("/")[0]) == port for e in exposed for p in e.split())

    assert backend["healthcheck"]["test"] == ["CMD", "python", "-m", "backend.healthcheck"]
    assert f"http://127.0.0.1:{port}/health/ready?format=json" == healthcheck.DEFAULT_URL


def test_db_has_healthcheck_and_named_volume():
    compose = load_compose()
    db = compose["services"]["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    mounts = [
        v.split(":") if isinstance(v, str) else [v["source"], v["target"]] for v in db["volumes"]
    ]
    data_mounts = [m for m in mounts if m[1] == "/var/lib/postgresql/data"]
    assert data_mounts, "the PostgreSQL data directory is not on a volume"
    assert data_mounts[0][0] in (compose.get("volumes") or {}), "use a named volume"


def test_backend_waits_for_a_healthy_db():
    depends_on = load_compose()["services"]["backend"]["depends_on"]
    assert depends_on["db"]["condition"] == "service_healthy"


def test_docker_compose_config_validates():
    """``docker compose config`` validates the file without an engine, where installed."""
    docker = shutil.which("docker")
    if not docker:
        pytest.skip("docker CLI not installed")
    version = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    if version.returncode != 0:
        pytest.skip("docker compose plugin not installed")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        cwd=ROOT,
        env={**os.environ, **OPERATOR_ENV},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


# --- Dockerfile and entrypoint ---------------------------------------------------------


def test_dockerfile_base_image_and_unprivileged_user():
    instructions = dockerfile_instructions()
    froms = [a for i, a in instructions if i == "FROM"]
    assert froms[-1].split()[0] == "python:3.11-slim"
    users = [a for i, a in instructions if i == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    position = {i: n for n, (i, _) in enumerate(instructions)}
    assert position["USER"] < position["ENTRYPOINT"]


def test_dockerfile_installs_the_project_without_dev_extras():
    runs = " ".join(a for i, a in dockerfile_instructions() if i == "RUN")
    assert re.search(r"pip install [^&;]*/src\b", runs), "the project is not pip-installed"
    # every dependency from the hashed lock, nothing resolved at build time
    assert "pip install --require-hashes --no-deps -r /src/requirements/main.txt" in runs
    assert "pip install --no-deps --no-build-isolation /src" in runs
    assert "[dev]" not in runs
    assert "collectstatic" in runs


def test_dockerfile_copies_existing_files_not_excluded_by_dockerignore():
    patterns = [
        line.strip().lstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not [p for p in patterns if p.startswith("!")], "negations are not handled here"
    for sources, _destination in dockerfile_copies():
        matched = [s for s in sources if list(ROOT.glob(s))]
        assert matched, f"COPY {sources}: nothing in the repository matches"
        for source in sources:
            if any(ch in source for ch in "*?["):
                continue
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            parts = Path(source).parts
            for n in range(1, len(parts) + 1):
                prefix = "/".join(parts[:n])
                excluded = [p for p in patterns if fnmatch.fnmatch(prefix, p)]
                assert not excluded, f"COPY {source} is excluded by .dockerignore {excluded}"


def test_entrypoint_and_cmd_refer_to_files_in_the_image():
    instructions = dockerfile_instructions()
    entrypoint = exec_form([a for i, a in instructions if i == "ENTRYPOINT"][-1])
    cmd = exec_form([a for i, a in instructions if i == "CMD"][-1])

    script = os.path.join(final_workdir(), entrypoint[0])
    repo_file = container_to_repo_path(script)
    assert repo_file is not None, f"no COPY puts anything at {script}"
    assert repo_file == ENTRYPOINT and repo_file.is_file()
    made_executable = any(
        i == "RUN" and re.search(rf"chmod\s+\S*\s*{re.escape(script)}", a) for i, a in instructions
    )
    assert made_executable or os.access(repo_file, os.X_OK)

    # The entrypoint runs manage.py from its parent directory: it must be copied there.
    manage = os.path.join(os.path.dirname(os.path.dirname(script)), "manage.py")
    assert container_to_repo_path(manage) == ROOT / "manage.py"

    # CMD is a sub-command the entrypoint handles.
    assert cmd[0] in re.findall(r"\"\$\{1:-(\w+)\}\"", ENTRYPOINT.read_text())


def test_entrypoint_is_valid_bash():
    bash = shutil.which("bash")
    if not bash:
        pytest.skip("bash not installed")
    result = subprocess.run([bash, "-n", str(ENTRYPOINT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_entrypoint_migrates_then_execs_gunicorn_on_the_wsgi_app():
    text = ENTRYPOINT.read_text()
    migrate = text.index("python manage.py migrate --noinput")
    gunicorn = re.search(r"exec gunicorn (\S+):(\w+)", text)
    assert gunicorn and migrate < gunicorn.start()
    module, attribute = gunicorn[1], gunicorn[2]
    wsgi = ROOT / (module.replace(".", "/") + ".py")
    assert wsgi.is_file()
    assert re.search(rf"^{attribute}\s*=", wsgi.read_text(), re.MULTILINE)
    assert "--error-logfile -" in text
    assert "GUNICORN_WORKERS" in text


def run_entrypoint(tmp_path: Path, *args: str, **env: str) -> list[str]:
    """Run docker/entrypoint.sh with ``args`` and ``env``, ``python`` and ``gunicorn``
    replaced by stubs that record their arguments and whether PROMETHEUS_MULTIPROC_DIR
    is a folder when they start; returns the records, one line per call."""
    bash = shutil.which("bash")
    if not bash:
        pytest.skip("bash not installed")
    stubs, log = tmp_path / "bin", tmp_path / "calls"
    stubs.mkdir(parents=True)
    for name in ("python", "gunicorn"):
        stub = stubs / name
        stub.write_text(
            "#!/bin/sh\n"
            'state=missing; [ -d "$PROMETHEUS_MULTIPROC_DIR" ] && state=folder\n'
            f'echo "{name} $* ($state: $(ls "$PROMETHEUS_MULTIPROC_DIR" 2>/dev/null))" >> {log}\n'
        )
        stub.chmod(0o755)
    path = f"{stubs}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        [bash, str(ENTRYPOINT), *args],
        env={"PATH": path, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return log.read_text().splitlines()


def test_entrypoint_prepares_the_metrics_folder_before_anything_python_runs(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR set, migrate already writes its metrics there: the
    folder exists (emptied of a previous run's files) before it runs."""
    metrics = tmp_path / "shm" / "metrics"
    calls = run_entrypoint(
        tmp_path, "serve", PROMETHEUS_MULTIPROC_DIR=str(metrics), LOAD_DEMO_DATA="1"
    )
    assert [call.split(" (")[0].split(" ")[:3] for call in calls] == [
        ["python", "manage.py", "migrate"],
        ["python", "manage.py", "load_cambodia"],
        ["python", "manage.py", "generate_payers"],
        ["gunicorn", "backend.wsgi:application", "--config"],
    ]
    assert all(call.endswith("(folder: )") for call in calls), calls

    metrics.mkdir(parents=True, exist_ok=True)
    (metrics / "counter_123.db").write_text("a previous run's")
    calls = run_entrypoint(tmp_path / "again", PROMETHEUS_MULTIPROC_DIR=str(metrics))
    assert calls[0] == "python manage.py migrate --noinput (folder: )"


def test_entrypoint_prepares_the_metrics_folder_for_other_commands(tmp_path):
    """``docker compose run backend python manage.py …`` with the folder set: created,
    not emptied (it may be a running server's); without it set, nothing is made."""
    metrics = tmp_path / "metrics"
    calls = run_entrypoint(
        tmp_path, "python", "manage.py", "check", PROMETHEUS_MULTIPROC_DIR=str(metrics)
    )
    assert calls == ["python manage.py check (folder: )"]
    (metrics / "counter_1.db").write_text("a server's")
    calls = run_entrypoint(tmp_path / "b", "python", "-V", PROMETHEUS_MULTIPROC_DIR=str(metrics))
    assert calls == ["python -V (folder: counter_1.db)"]
    assert run_entrypoint(tmp_path / "c", "python", "-V") == ["python -V (missing: )"]


def test_entrypoint_management_commands_exist():
    """Every ``python manage.py <command>`` in the entrypoint is a command Django knows
    (including the demo-data ones run with LOAD_DEMO_DATA=1)."""
    wanted = set(re.findall(r"python manage\.py (\w+)", ENTRYPOINT.read_text()))
    known = get_commands()  # what `manage.py help --commands` lists
    missing = sorted(wanted - set(known))
    assert not missing, f"docker/entrypoint.sh runs unknown management commands {missing}"


# --- packaging (what ``pip install .`` in the image puts in site-packages) -----------


def make_dry_run(*args: str) -> subprocess.CompletedProcess:
    """``make -n args`` in the repository (what it would run)."""
    if not shutil.which("make"):
        pytest.skip("make not installed")
    command = ["make", "--no-print-directory", "-n", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_the_wheelhouse_holds_the_lock_a_server_installs():
    """README "Installing on a machine without internet access": ``make wheelhouse``
    downloads the image's lock (requirements/main.txt) unless told the local trial's."""
    downloads = [
        line
        for args in ((), ("LOCK=requirements/dev.txt", "WHEELHOUSE=/tmp/w"))
        for line in make_dry_run("wheelhouse", *args).stdout.splitlines()
        if " pip download " in line
    ]
    assert [line.split(" -m ", 1)[1] for line in downloads] == [
        "pip download --require-hashes --no-deps -r requirements/main.txt -d wheelhouse",
        "pip download --require-hashes --no-deps -r requirements/dev.txt -d /tmp/w",
    ]
    refused = subprocess.run(
        ["make", "--no-print-directory", "wheelhouse", "LOCK=requirements/x.txt"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "LOCK=requirements/x.txt: give requirements/main.txt (a server)" in refused.stderr
    assert "/src/requirements/main.txt" in DOCKERFILE.read_text()  # the image's lock


def test_the_offline_production_install_is_not_the_quick_start():
    """The offline section installs a server from requirements/main.txt with pip's
    --no-index and --require-hashes, then migrate, collectstatic, the first admin and
    gunicorn as the image runs it; ``make run`` (demo data, demo user) only as a trial."""
    readme = (ROOT / "README.md").read_text()
    section = readme.partition("**Installing on a machine without internet access.**")[2]
    section = section.partition("**Backups.**")[0]
    production, _, trial = section.partition("*A local trial*")
    for step in (
        "make wheelhouse ",
        "pip install --no-index --find-links wheelhouse --require-hashes --no-deps "
        "-r requirements/main.txt",
        "npm ci --prefix frontend --offline",
        "manage.py migrate --noinput",
        "manage.py collectstatic --noinput",
        "manage.py createsuperuser",
        "gunicorn backend.wsgi:application --config python:backend.gunicorn_config",
        "export DEBUG=false ",
    ):
        assert step in production, step
    assert "make run" not in production and "dev.txt`" in production
    assert "make wheelhouse LOCK=requirements/dev.txt" in trial and "make run" in trial
    upgrading = readme.partition("**Upgrading.**")[2].partition("\n## ")[0]
    assert "new `wheelhouse/`" in upgrading


def test_every_python_package_is_included_by_setuptools():
    """Each directory of backend/ and modules/ holding Python files (migrations and
    management commands included) is a package that pyproject's find-include picks up;
    the image runs from the installed copy, not from the source tree."""
    setuptools = pytest.importorskip("setuptools")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    find = pyproject["tool"]["setuptools"]["packages"]["find"]
    found = set(
        setuptools.find_packages(
            where=str(ROOT), include=find.get("include", ("*",)), exclude=find.get("exclude", ())
        )
    )
    expected = set()
    for top in ("backend", "modules"):
        for directory in [ROOT / top, *(p for p in (ROOT / top).rglob("*") if p.is_dir())]:
            if "__pycache__" in directory.parts:
                continue
            if any(directory.glob("*.py")):
                expected.add(".".join(directory.relative_to(ROOT).parts))
    missing = sorted(expected - found)
    assert not missing, f"not packaged (missing __init__.py?): {missing}"


# --- the `federated` profile ------------------------------------------------------------


def deployment() -> dict:
    """The compose file as an operator loads it (the module list is the image's own)."""
    return load_compose(OPERATOR_ENV)


def test_federated_profile_has_the_subgraphs_service_and_the_gateway():
    """One ``subgraphs`` service serves every module's subgraph, with the backend's module
    list (no service per module: a new module needs no change here)."""
    services = deployment()["services"]
    for name in ("subgraphs", "gateway"):
        assert services[name]["profiles"] == ["federated"], name
    assert "profiles" not in services["backend"] and "profiles" not in services["db"]
    subgraphs, backend = services["subgraphs"], services["backend"]
    # one module list: neither sets it, both read the image's default and openimis.env
    assert subgraphs["env_file"] == backend["env_file"]
    # the backend has migrated the database before the subgraphs start
    assert subgraphs["depends_on"]["backend"]["condition"] == "service_healthy"
    assert services["gateway"]["depends_on"]["subgraphs"]["condition"] == "service_healthy"
    assert "ports" not in subgraphs  # behind the gateway; `--scale subgraphs=N` works


def test_subgraph_service_sets_only_variables_something_reads():
    environment = service_environment(deployment()["services"]["subgraphs"])
    unknown = sorted(set(environment) - settings_env_names() - entrypoint_env_names())
    assert not unknown
    assert (
        environment["DATABASE_URL"]
        == service_environment(deployment()["services"]["backend"])["DATABASE_URL"]
    )


def test_supergraph_routes_to_the_subgraph_services():
    """Each active module's subgraph URL in the committed supergraph.graphql names a
    service of the profile, the port gunicorn binds and the module, and that service runs
    every module the subgraph's rules need (registry.subgraph_modules)."""
    services = deployment()["services"]
    supergraph = (ROOT / "supergraph.graphql").read_text()
    urls = dict(re.findall(r'@join__graph\(name: "(\w+)", url: "([^"]+)"\)', supergraph))
    assert set(urls) == {m.label for m in active_modules() if m.manifest.subgraph}
    for label, url in urls.items():
        match = re.fullmatch(r"http://(\w+):(\d+)/graphql/(\w+)", url)
        assert match, url
        service, port, module = match[1], int(match[2]), match[3]
        assert module == label and port == gunicorn_bind_port()
        modules = served_modules(services[service])
        assert set(subgraph_modules(label)) <= set(modules), (label, modules)
        allowed = service_environment(services[service])["ALLOWED_HOSTS"].split(",")
        assert service in allowed


def test_gateway_mounts_the_supergraph_it_reads():
    gateway = load_compose()["services"]["gateway"]
    source, target, *_ = gateway["volumes"][0].split(":")
    assert (ROOT / source).resolve() == ROOT / "supergraph.graphql"
    assert service_environment(gateway)["SUPERGRAPH"] == target
    dockerfile = (ROOT / gateway["build"] / "Dockerfile").read_text()
    for copied in re.findall(r"^COPY (.+) \./$", dockerfile, re.MULTILINE):
        for name in copied.split():
            assert (ROOT / gateway["build"] / name).is_file(), name
    assert 'CMD ["node", "gateway.mjs"]' in dockerfile
    port = service_environment(gateway)["PORT"]
    assert gateway["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert f"127.0.0.1:{port}/readiness" in " ".join(gateway["healthcheck"]["test"])


# --- the `legacy` profile (SQL Server to restore an openIMIS backup into) ----------------


README = ROOT / "README.md"


def test_legacy_profile_runs_sql_server_only_when_asked():
    services = load_compose()["services"]
    legacy = services["legacy-mssql"]
    assert legacy["profiles"] == ["legacy"]
    assert legacy["image"].startswith("mcr.microsoft.com/mssql/server:")
    plain_up = {name for name, s in services.items() if "profiles" not in s}
    assert plain_up == {"db", "backend"}, "plain `up` must stay as it was"
    assert "legacy-mssql" not in (services["backend"].get("depends_on") or {})


def test_legacy_sql_server_password_comes_from_the_operator():
    env = service_environment(load_compose()["services"]["legacy-mssql"])
    assert env["ACCEPT_EULA"] == "Y"
    assert env["MSSQL_SA_PASSWORD"] == ""  # no password written in the repository
    chosen = service_environment(
        load_compose({**OPERATOR_ENV, "MSSQL_SA_PASSWORD": "Str0ng-passw0rd"})["services"][
            "legacy-mssql"
        ]
    )
    assert chosen["MSSQL_SA_PASSWORD"] == "Str0ng-passw0rd"


def test_readme_steps_match_the_legacy_service():
    """The README restores from the mounted backup folder and imports through the
    published port, with the service name of the compose file."""
    compose = load_compose()
    legacy = compose["services"]["legacy-mssql"]
    text = README.read_text(encoding="utf-8")
    mounts = {v.split(":")[1]: v.split(":")[0] for v in legacy["volumes"]}
    assert mounts["/var/opt/mssql"] in compose["volumes"]
    assert "RESTORE DATABASE openIMIS FROM DISK = '/backup/openIMIS.bak'" in text
    assert mounts["/backup"] == "./legacy-backup" and "legacy-backup/" in text
    assert "docker compose --profile legacy up -d legacy-mssql" in text
    assert "docker compose exec legacy-mssql /opt/mssql-tools18/bin/sqlcmd" in text
    assert "/opt/mssql-tools18/bin/sqlcmd" in " ".join(legacy["healthcheck"]["test"])
    [published] = legacy["ports"]
    host, host_port, container_port = published.split(":")
    assert (host, container_port) == ("127.0.0.1", "1433")
    url = re.search(r'import_legacy --database "(mssql://sa:\$MSSQL_SA_PASSWORD@[^"]+)"', text)
    assert url, "the README imports from the container"
    parts = urllib.parse.urlsplit(url[1].replace("$MSSQL_SA_PASSWORD", "pw"))
    assert (parts.hostname, parts.port, parts.path) == ("127.0.0.1", int(host_port), "/openIMIS")


def test_the_compose_services_serve_the_settings_module_list():
    """One module list: the settings' DEFAULT_MODULES, which the committed supergraph
    composes. The compose file names none (a second copy would have to be changed with
    every module enabled, and could name subgraphs no service runs); openimis.env may."""
    text = COMPOSE_FILE.read_text()
    assert "OPENIMIS_MODULES:" not in text and "${OPENIMIS_MODULES" not in text
    for name in ("backend", "subgraphs"):
        service = deployment()["services"][name]
        assert "OPENIMIS_MODULES" not in service_environment(service), name
        assert service["env_file"][0]["path"].endswith(SETTINGS_FILE), name


def test_a_schema_check_failure_names_the_modules_it_composed(tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as refused:
        call_command("graphql_schema", "--check", path=tmp_path / "missing.graphql")
    modules = ",".join(settings.OPENIMIS_MODULES)
    assert f"composed of the modules {modules} (OPENIMIS_MODULES selects them" in str(refused.value)
