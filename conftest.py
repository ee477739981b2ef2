"""Shared fixtures: a GraphQL client over HTTP, query counting, and the demo data path."""

from __future__ import annotations

import importlib
import itertools
import json
import os
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.registry import Manifest

#: Queries the compiler's equivalence test generates (tests/test_compiler_equivalence.py)
#: by default and in CI;
#: the environment variable of the same name changes it (e.g. 200 for a quick run).
DEFAULT_COMPILER_EQUIVALENCE_EXAMPLES = 2000
COMPILER_EQUIVALENCE_EXAMPLES = int(
    os.environ.get("COMPILER_EQUIVALENCE_EXAMPLES", DEFAULT_COMPILER_EQUIVALENCE_EXAMPLES)
)

#: The openIMIS demo exports, committed as test data (origin and licence: its README.md).
DEMO_DIR = Path(__file__).resolve().parent / "tests" / "data" / "openimis-demo"


class QueryCountMismatch(AssertionError):
    pass


class GraphQLClient:
    """Posts GraphQL documents to ``/graphql`` through Django's test client."""

    def __init__(self, client, **headers):
        self.client = client
        self.headers = headers

    def post(self, query: str, variables: dict | None = None) -> dict:
        """Return the decoded JSON response (``data`` and maybe ``errors``)."""
        response = self.client.post(
            "/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            headers=self.headers,
        )
        assert response["Content-Type"].startswith("application/json"), response.content[:500]
        return response.json()

    def data(self, query: str, variables: dict | None = None) -> dict:
        """Return ``data`` of a response that must have no errors."""
        result = self.post(query, variables)
        assert "errors" not in result, result["errors"]
        return result["data"]

    def errors(self, query: str, variables: dict | None = None) -> list[str]:
        """Return the error messages of a response that must have errors."""
        result = self.post(query, variables)
        assert result.get("errors"), f"expected errors, got {result}"
        return [e["message"] for e in result["errors"]]


#: The global right of district rights (the location module's): users made by
#: ``make_user`` hold it unless the test gives them districts.
ALL_DISTRICTS = "location.all_districts"


@pytest.fixture
def make_user(db):
    """Create a user holding the given permissions (``"app_label.codename"``).

    District rights: without ``districts`` the user also holds the global right (the
    tests of model permissions see every row); with ``districts`` (location rows) the
    user is attached to them instead (``location.UserDistrict``, valid from now on).
    """
    from django.apps import apps
    from django.contrib.auth.models import Permission, User

    def make(username: str, *permissions: str, superuser: bool = False, districts=None) -> User:
        user = User.objects.create_user(username, password=None, is_superuser=superuser)
        if districts is None:
            permissions = (*permissions, ALL_DISTRICTS)
        for district in districts or ():
            apps.get_model("location", "UserDistrict").objects.create(
                user=user, location=district, validity_from="2000-01-01T00:00:00Z"
            )
        for permission in permissions:
            app_label, codename = permission.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return User.objects.get(pk=user.pk)  # fresh permission cache

    return make


@pytest.fixture
def gql_as(make_user):
    """A GraphQL client logged in (Django session) as a user with these permissions
    (and ``districts``, as :func:`make_user`)."""
    from django.test import Client

    numbers = itertools.count(1)  # unique names (an id() is reused once its object is freed)

    def client_for(
        *permissions: str, superuser: bool = False, username: str = "", districts=None
    ) -> GraphQLClient:
        name = username or f"user{len(permissions)}{int(superuser)}-{next(numbers)}"
        client = Client()
        client.force_login(make_user(name, *permissions, superuser=superuser, districts=districts))
        return GraphQLClient(client)

    return client_for


#: The view permissions of both modules: with ``make_user``'s global district right, a
#: user who reads every location and payer.
VIEWER = ("location.view_location", "payer.view_payer")


@pytest.fixture
def viewer(gql_as) -> GraphQLClient:
    """A GraphQL client logged in as a user holding :data:`VIEWER` (reads every location
    and payer, changes nothing)."""
    return gql_as(*VIEWER)


@pytest.fixture
def gql(gql_as) -> GraphQLClient:
    """A GraphQL client logged in as a superuser (every permission)."""
    return gql_as(superuser=True, username="admin")


@pytest.fixture
def admin(admin_client):
    """pytest-django's client logged in as the superuser "admin" (the FHIR and JSON:API
    tests; tests/test_admin.py has a staff "admin" of its own)."""
    return admin_client


@pytest.fixture
def count_queries():
    """Run a callable and return (its result, the number of SQL queries it made)."""

    def run(func, *args, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            result = func(*args, **kwargs)
        return result, captured

    return run


@pytest.fixture
def demo_dir() -> Path:
    """The folder of the committed openIMIS demo exports (tblLocations.csv, tblPayer.csv)."""
    return DEMO_DIR


@pytest.fixture
def make_chains(db):
    """Create ``n`` region > district > municipality > village chains, with payers.

    Each region and each district gets one current payer and one history payer.
    With ``regions_only`` only the regions are made, each with one current payer.
    Returns the list of created regions (chain ``i`` has codes ``R{i}``, ``R{i}D``,
    ``R{i}DW``, ``R{i}DWV``).
    """
    from modules.location.models import Location
    from modules.payer.models import Payer

    def make(n: int, *, regions_only: bool = False) -> list:
        regions = []
        for i in range(n):
            region = Location.objects.create(code=f"R{i}", name=f"Region {i}", type="R")
            regions.append(region)
            if regions_only:
                Payer.objects.create(name=f"Payer of {region.code}", type="G", location=region)
                continue
            district = Location.objects.create(
                code=f"R{i}D", name=f"District {i}", type="D", parent=region
            )
            ward = Location.objects.create(
                code=f"R{i}DW", name=f"Ward {i}", type="W", parent=district
            )
            Location.objects.create(code=f"R{i}DWV", name=f"Village {i}", type="V", parent=ward)
            for place in (region, district):
                Payer.objects.create(name=f"Payer of {place.code}", type="G", location=place)
                Payer.objects.create(
                    name=f"Old payer of {place.code}",
                    type="G",
                    location=place,
                    validity_to="2020-01-01T00:00:00Z",
                )
        return regions

    return make


@pytest.fixture
def chain(make_chains):
    """One chain R0 > R0D > R0DW > R0DWV (payers on R0 and R0D, and a history payer):
    location code -> current location."""
    from modules.location.models import Location

    make_chains(1)
    return {loc.code: loc for loc in Location.objects.current()}


@pytest.fixture
def world(db):
    """The modules' sample world (``Manifest.samples``; R1 > R1D1 (d1) > R1D1W1 >
    R1D1W1V1, R2 > R2D1 (d2), four payers): row name -> uuid."""
    from tests import samples

    samples.create_world()
    return {name: samples.UUIDS[name] for name in samples.NAMES}


@pytest.fixture
def client_with(make_user):
    """``client_with(*permissions, districts=None, staff=False)``: a Django test client
    logged in as a new user holding ``permissions`` (attached to ``districts``)."""
    from django.test import Client

    names = itertools.count()

    def client(*permissions: str, districts=None, staff: bool = False) -> Client:
        user = make_user(f"u{next(names)}", *permissions, districts=districts)
        if staff:
            user.is_staff = True
            user.save()
        logged_in = Client()
        logged_in.force_login(user)
        return logged_in

    return client


@pytest.fixture
def make_tree(db):
    """A region with ``width`` districts, each with ``width`` municipalities, each with
    ``width`` villages; every location gets one payer. Returns the region."""
    from modules.location.models import Location
    from modules.payer.models import Payer

    def make(width: int):
        region = Location.objects.create(code="T", name="Tree", type="R")
        level = [region]
        for kind in "DWV":
            level = [
                Location.objects.create(
                    code=f"{parent.code}{i}",
                    name=f"{kind} {parent.code}{i}",
                    type=kind,
                    parent=parent,
                )
                for parent in level
                for i in range(width)
            ]
        for location in Location.objects.all():
            Payer.objects.create(name=f"Payer of {location.code}", type="G", location=location)
        return region

    return make


@pytest.fixture(autouse=True)
def _no_cached_auth_between_tests():
    """Each test starts with an empty authentication cache (``backend.auth_cache``): the
    rows of one test are gone in the next, whose new rows may reuse their ids."""
    from django.core.cache import caches

    caches["auth"].clear()


@pytest.fixture(autouse=True)
def _legacy_reports_in_tmp(settings, tmp_path_factory):
    """``import_legacy`` writes its report file (on SQLite) into a temporary folder."""
    settings.LEGACY_REPORT_DIR = str(tmp_path_factory.mktemp("legacy-reports"))


@pytest.fixture(autouse=True)
def _fresh_fan_outs():
    """Each test reads the row statistics of the node estimate from its own data."""
    from backend.graphql.row_estimate import forget_fan_outs

    forget_fan_outs()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A function taking a path and putting there a SQLite file migrated as
    ``manage.py migrate`` does it (the default modules); returns its ``DATABASE_URL``.
    ``migrate`` runs once per test session, in its own process, into a template; each
    call copies the template (the servers' tests start from an empty, migrated file)."""
    from tests.servers import base_env, manage

    template = tmp_path_factory.mktemp("migrated") / "db.sqlite3"

    def copy_to(path: Path) -> str:
        if not template.exists():
            env = base_env(DATABASE_URL=f"sqlite:///{template}")
            manage(env, "migrate", "--noinput", "-v", "0", timeout=300)
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"

    return copy_to


#: The settings package and its parts, read afresh by :func:`read_settings`.
SETTINGS_MODULES = (
    "backend.settings",
    "backend.settings.api",
    "backend.settings.base",
    "backend.settings.operations",
)


@pytest.fixture
def read_settings(monkeypatch):
    """A function reading ``backend.settings`` afresh in this process, as start-up reads
    it, with the environment variables given (``NAME=value``) added to this process's:
    returns the settings (upper-case names) as a dict, or raises the
    ``ImproperlyConfigured`` start-up would refuse with. The test process's own settings
    and modules are left as they were."""
    import backend
    from backend.environment import env as environment

    def read(**variables: str) -> dict:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(environment.ENVIRON, "files_cache", {})  # X_FILE read again
        saved = {name: sys.modules.pop(name) for name in SETTINGS_MODULES if name in sys.modules}
        try:
            module = importlib.import_module("backend.settings")
            return {name: getattr(module, name) for name in dir(module) if name.isupper()}
        finally:
            for name in SETTINGS_MODULES:
                sys.modules.pop(name, None)
            sys.modules.update(saved)
            backend.settings = saved["backend.settings"]

    return read


def fake_module(label: str, **manifest: object) -> SimpleNamespace:
    """A stand-in module config with this label and a Manifest of these fields."""
    return SimpleNamespace(label=label, manifest=Manifest(**manifest), requires=())
