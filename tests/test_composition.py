"""The core composes the active modules' contributions into one schema."""

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import strawberry
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from backend.graphql.schema import build_schema
from backend.manifest_checks import check_manifests, check_requirements
from backend.registry import subgraph_modules
from conftest import fake_module

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, modules: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with OPENIMIS_MODULES set."""
    env = {"OPENIMIS_MODULES": modules, "PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite://"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def restore_schema():
    """Rebuild the full schema after a test that built a partial one."""
    yield
    build_schema()


def test_location_only_schema_has_no_payers(restore_schema):
    schema = build_schema([apps.get_app_config("location")])
    sdl = schema.as_str()
    assert "type Location implements Node" in sdl
    assert "payers:" not in sdl and "type Payer" not in sdl and "Payer!" not in sdl
    result = schema.execute_sync("{ locations { totalCount } }")
    assert result.errors and "no such table" not in str(result.errors)  # needs a database


@pytest.mark.django_db
def test_location_only_schema_serves_queries(restore_schema, make_user):
    schema = build_schema([apps.get_app_config("location")])
    viewer = make_user("viewer", "location.view_location")
    context = SimpleNamespace(request=SimpleNamespace(user=viewer))
    result = schema.execute_sync("{ locations { totalCount } }", context_value=context)
    assert result.errors is None and result.data == {"locations": {"totalCount": 0}}


def test_full_schema_has_the_extension_once_after_rebuilds():
    for _ in range(2):
        sdl = build_schema().as_str()
    location = sdl[sdl.index("type Location implements Node") :]
    location = location[: location.index("\n}")]
    assert location.count("payers: [Payer!]") == 1


def test_process_with_location_only_prints_schema_without_payer(tmp_path):
    out = tmp_path / "schema.graphql"
    result = manage("graphql_schema", "--path", str(out), modules="location")
    assert result.returncode == 0, result.stderr
    sdl = out.read_text()
    assert "type Location implements Node" in sdl and "Payer" not in sdl


def test_missing_requirement_stops_start_up():
    result = manage("check", modules="payer")
    assert result.returncode != 0
    # one message, no traceback (issue 9)
    assert result.stderr.splitlines() == [
        "Start-up refused: module 'payer' requires 'location', which is not active. "
        "Active modules: payer. Add the missing modules to OPENIMIS_MODULES."
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("garbage", "DATABASE_URL names no engine: this project runs on PostgreSQL"),
        ("mysql://u@h/db", "this project runs on PostgreSQL (postgres://...) or SQLite"),
    ],
)
def test_a_database_url_of_no_supported_database_is_one_message(url, message):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    [line] = [x for x in result.stderr.splitlines() if x.strip()]
    assert line.startswith("Start-up refused: ") and message in line, result.stderr


def test_the_image_frontend_setting_starts(tmp_path):
    """FRONTEND_DIST (the Docker image sets it) is a folder Django's static files and
    django-vite accept: the process starts and checks."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite://", "FRONTEND_DIST": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_unknown_module_is_named():
    result = manage("check", modules="location,claims")
    assert result.returncode != 0
    assert "OPENIMIS_MODULES names unknown module(s): claims" in result.stderr


def test_a_path_is_no_module():
    result = manage("check", modules="location,../backend")
    assert result.returncode != 0
    assert "OPENIMIS_MODULES names unknown module(s): ../backend" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_module_named_twice_is_named():
    result = manage("check", modules="location,payer, location")
    assert result.returncode != 0
    assert "OPENIMIS_MODULES names module(s) more than once: location." in result.stderr
    assert "Traceback" not in result.stderr


def test_check_requirements_lists_every_problem():
    with pytest.raises(ImproperlyConfigured, match="'payer' requires 'location'"):
        check_requirements([apps.get_app_config("payer")])
    check_requirements([apps.get_app_config("location"), apps.get_app_config("payer")])


@strawberry.type(description="Clashing extension.")
class _ClashingExtension:
    code: str = strawberry.field(description="Clashes with Location.code.")


@strawberry.type(description="Extension of a type nobody owns.")
class _OrphanExtension:
    extra: str = strawberry.field(description="Extra.")


def test_extension_name_clash_is_refused(restore_schema):
    clash = fake_module("clash", extensions={"Location": [_ClashingExtension]})
    with pytest.raises(ImproperlyConfigured, match="adds field 'code' to 'Location'"):
        build_schema([apps.get_app_config("location"), clash])


def test_extension_of_unknown_type_is_refused(restore_schema):
    orphan = fake_module("orphan", extensions={"Claim": [_OrphanExtension]})
    with pytest.raises(ImproperlyConfigured, match="extends GraphQL type 'Claim'"):
        build_schema([apps.get_app_config("location"), orphan])


def test_modules_are_independent_import_linter():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Modules are independent of one another KEPT" in result.stdout
    assert "The core does not import modules KEPT" in result.stdout


# -- the manifest checks (start-up refuses a bad manifest, naming module and problem) ------


def _guard(row):
    return []


def _Resource(*, model: str, perm: str = "location.view_location", **names):
    """A FHIR or JSON:API resource as the manifest check reads it."""
    return SimpleNamespace(model=model, view_permission=perm, **names)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            {"delete_guards": {"location.Nope": _guard}},
            "module 'claim': 'location.Nope' names no model of module 'location'.",
        ),
        (
            {"delete_guards": {"insuree.Insuree": _guard}},
            "module 'claim': 'insuree.Insuree' belongs to module 'insuree', which is not active.",
        ),
        (
            {"admin": {"Location": object}},
            "module 'claim': 'Location' is not a model label ('app_label.ModelName').",
        ),
        (
            {"types": [_OrphanExtension]},
            "module 'claim': type _OrphanExtension declares no view_permission.",
        ),
        (
            {
                "fhir": [_Resource(model="location.Location", resource_type="Location")],
                "jsonapi": [_Resource(model="location.Location", type="locations", perm="x.y")],
            },
            # another module's resource over location's model: compared with location's
            "modules 'location', 'claim': the view permission of 'location.location' differs "
            "between surfaces (GraphQL type Location of 'location': 'location.view_location', "
            "FHIR Location of 'location': 'location.view_location', JSON:API locations of "
            "'location': 'location.view_location', FHIR Location of 'claim': "
            "'location.view_location', JSON:API locations of 'claim': 'x.y'); "
            # and serving location's types a second time: refused as well
            "module 'claim': FHIR resource type 'Location' is declared by module 'location' "
            "already; module 'claim': JSON:API type 'locations' is declared by module "
            "'location' already.",
        ),
    ],
)
def test_bad_manifests_are_refused_with_module_and_problem(manifest, message):
    modules = [apps.get_app_config("location"), fake_module("claim", **manifest)]
    with pytest.raises(ImproperlyConfigured) as raised:
        check_manifests(modules)
    assert str(raised.value) == message


def test_a_graphql_type_and_a_resource_of_one_model_must_agree_on_its_view_permission():
    # given a module declaring location's GraphQL type beside a FHIR resource of the same
    # model guarded by another permission
    location_type = apps.get_app_config("location").manifest.types[0]
    fhir = _Resource(model="location.Location", resource_type="Location", perm="claim.view")
    claim = fake_module("claim", types=[location_type], fhir=[fhir])
    # then the manifest check refuses it, naming both
    with pytest.raises(ImproperlyConfigured) as raised:
        check_manifests([claim])
    assert str(raised.value) == (
        "module 'claim': the view permission of 'location.location' differs between surfaces "
        "(GraphQL type Location: 'location.view_location', FHIR Location: 'claim.view')."
    )


def test_one_registry_function_names_a_models_view_permission_for_checks_and_rights(
    monkeypatch,
):
    """``model_view_permissions`` is the one walk of the manifests: the start-up check
    compares its surfaces, ``rights.view_permission`` answers from it (a model a module
    serves only through a resource, not a GraphQL type, included)."""
    from backend import registry, rights

    modules = [apps.get_app_config("location"), apps.get_app_config("payer")]
    assert registry.model_view_permissions(modules) == {
        "location.location": {
            ("location", "GraphQL type Location"): "location.view_location",
            ("location", "FHIR Location"): "location.view_location",
            ("location", "JSON:API locations"): "location.view_location",
        },
        "payer.payer": {
            ("payer", "GraphQL type Payer"): "payer.view_payer",
            ("payer", "FHIR Organization"): "payer.view_payer",
            ("payer", "JSON:API payers"): "payer.view_payer",
        },
    }
    # a module serving the user model through JSON:API only, guarded by its own permission
    users = _Resource(model="auth.User", type="users", perm="claim.view_users")
    claim = fake_module("claim", jsonapi=[users])
    monkeypatch.setattr(registry, "active_modules", lambda: [*modules, claim])
    from django.contrib.auth.models import User

    assert rights.view_permission(User) == "claim.view_users"
    assert rights.view_permission(apps.get_model("location.Location")) == "location.view_location"
    check_manifests([*modules, claim])  # one surface: nothing to disagree


def test_a_missing_requirement_is_refused_by_the_manifest_check():
    claim = fake_module("claim")
    claim.requires = ("insuree",)
    with pytest.raises(ImproperlyConfigured, match="module 'claim' requires 'insuree'"):
        check_manifests([apps.get_app_config("location"), claim])


def test_subgraph_services_run_the_modules_guarding_their_deletes():
    location, payer = apps.get_app_config("location"), apps.get_app_config("payer")
    assert subgraph_modules("location", [location, payer]) == ["location", "payer"]
    assert subgraph_modules("payer", [location, payer]) == ["location", "payer"]
    assert subgraph_modules("location", [location]) == ["location"]


def test_a_field_returning_another_modules_type_is_guarded_by_its_view_permission():
    """The payer module declares Payer.location without naming location's permission."""
    from backend.graphql.permissions import HasPerm
    from backend.graphql.schema import definition_of

    payer = apps.get_app_config("payer").manifest.types[0]
    build_schema()
    fields = {f.python_name: f for f in definition_of(payer).fields}
    assert HasPerm("location.view_location") in fields["location"].permission_classes
    assert fields["history"].permission_classes == []  # its own type: no extra guard


#: The most lines a file of the core may have (issue 9: "no core file is over 350 lines"):
#: a concern that outgrows it gets a module of its own, so the core's layout shows its design.
CORE_FILE_LINES = 350


def test_no_core_file_outgrows_its_concern():
    sizes = {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / "backend").rglob("*.py")
    }
    assert len(sizes) > 50  # the walk found the core
    assert {name: lines for name, lines in sizes.items() if lines > CORE_FILE_LINES} == {}
