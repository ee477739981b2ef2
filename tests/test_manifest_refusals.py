"""Start-up refuses each bad declaration a module author can make, in one line naming the
module (``Start-up refused: module '<name>': <problem>``), before anything is composed:
the manifest checks (``backend.manifest_checks``) read the declarations against the
registry and the models instead of leaving them to strawberry, a request or a command."""

import dataclasses
import sys
import types

import pytest
import strawberry
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from backend.graphql.relations import prefetched_list
from backend.jsonapi import Relationship
from backend.legacy import LegacyTable
from backend.manifest_checks import check_manifests
from backend.registry import ModuleConfig, Placement, ref
from conftest import fake_module
from tests.test_composition import _Resource


@strawberry.type(description="A misspelt reference.")
class _MisspeltQuery:
    home: ref("Locaton") | None = strawberry.field(description="Misspelt.")


@strawberry.type(description="A list over a relation Payer does not have.")
class _PayerNotes:
    notes: list[ref("Location")] | None = prefetched_list(
        "notes",
        lambda: apps.get_model("location.Location").objects.all(),
        description="Payer has no notes.",
    )


@strawberry.type(description="Clashes with payer's Location.payersCount.")
class _PayersCount:
    payers_count: int = strawberry.field(description="Clash.")


def _no_rows(rows, context):
    return [], []


INSUREES = LegacyTable(
    name="tblInsuree",
    option="locations",  # location's option
    model="payer.Payer",
    fields={"InsureeID": "id"},
    validate=_no_rows,
)

ORGANIZATION = _Resource(model="payer.Payer", resource_type="Organization", perm="payer.view_payer")
PAYERS = _Resource(model="payer.Payer", type="payers", perm="payer.view_payer", relationships={})
TO_PAYERS, TO_INSUREES = Relationship("payers", source="payers"), Relationship("insurees", "x")

STAGED = LegacyTable("tblStaged", "staged", "legacy_staging.StagingRow", {"ID": "id"}, _no_rows)
JSON_COLUMN = dataclasses.replace(STAGED, fields={"ID": "id", "Row": "row"})
NO_COLUMN = dataclasses.replace(STAGED, fields={"ID": "id", "DOB": "dob"})

#: Declarations another module made first: (manifest entry, item, what, value, owner).
CLASHES = [
    ("fhir", ORGANIZATION, "FHIR resource type", "Organization", "payer"),
    ("jsonapi", PAYERS, "JSON:API type", "payers", "payer"),
    ("legacy_tables", INSUREES, "legacy option", "locations", "location"),
]

#: Declarations naming what the registry or the models do not have: manifest -> problem.
UNKNOWN = {
    "placement field the model lacks": (
        {"placement": {"payer.Payer": Placement("village")}},
        "placement of 'payer.Payer': 'village' names 'village', which payer.Payer does not have",
    ),
    "placement over no foreign key": (
        {"placement": {"payer.Payer": Placement("name")}},
        "placement of 'payer.Payer': 'name' names 'name', which is no foreign key of payer.Payer",
    ),
    "JSON:API relationship to an unknown type": (
        {"jsonapi_relationships": {"locations": {"insurees": TO_INSUREES}}},
        "JSON:API relationship locations.insurees relates to 'insurees', which no active "
        "module serves",
    ),
    "federation keys of an unknown type": (
        {"keys": {"Insuree": "uuid"}},
        "keys names GraphQL type 'Insuree', which it does not declare",
    ),
    "misspelt ref": (
        {"queries": [_MisspeltQuery]},
        "Misspeltquery.home refers to ref('Locaton'), a GraphQL type no active module declares",
    ),
    "extension over a relation the model lacks": (
        {"extensions": {"Payer": [_PayerNotes]}},
        "Payer.notes lists the relation 'notes', which payer.Payer does not have",
    ),
    "extension of an unknown type": (
        {"extensions": {"Insuree": [_PayersCount]}},
        "extends GraphQL type 'Insuree', which no active module declares",
    ),
    "legacy column of a type without a reading": (
        {"legacy_tables": [JSON_COLUMN]},
        "legacy table 'tblStaged' maps the column 'Row' to legacy_staging.StagingRow.row, a "
        "JSONField, which has no legacy reading",
    ),
    "legacy column over an attribute the model lacks": (
        {"legacy_tables": [NO_COLUMN]},
        "legacy table 'tblStaged' maps the column 'DOB' to 'dob', which "
        "legacy_staging.StagingRow does not have",
    ),
}


def _refusal(**manifest) -> str:
    """The message check_manifests refuses location, payer and an 'insuree' module of
    ``manifest`` with (the first two alone pass)."""
    modules = [apps.get_app_config("location"), apps.get_app_config("payer")]
    check_manifests(modules)
    with pytest.raises(ImproperlyConfigured) as raised:
        check_manifests([*modules, fake_module("insuree", **manifest)])
    return str(raised.value)


@pytest.mark.parametrize(("manifest", "problem"), UNKNOWN.values(), ids=UNKNOWN.keys())
def test_a_declaration_of_something_unknown_is_refused(manifest, problem):
    assert _refusal(**manifest) == f"module 'insuree': {problem}."


@pytest.mark.parametrize(("entry", "item", "what", "value", "owner"), CLASHES)
def test_a_declaration_another_module_made_is_refused_naming_it(entry, item, what, value, owner):
    assert _refusal(**{entry: [item]}) == (
        f"module 'insuree': {what} {value!r} is declared by module {owner!r} already."
    )


def test_a_field_or_relationship_another_module_added_is_refused_naming_it():
    """By the name clients see (``payersCount``, not ``payers_count``), and its owner."""
    assert _refusal(extensions={"Location": [_PayersCount]}) == (
        "module 'insuree': adds field 'payersCount' to 'Location', which already has a "
        "field of that name (declared by module 'payer')."
    )
    assert _refusal(jsonapi_relationships={"locations": {"payers": TO_PAYERS}}) == (
        "module 'insuree': adds JSON:API relationship 'payers' to 'locations', which has one."
    )


def test_a_root_field_of_a_type_without_view_permission_is_refused_naming_the_module(
    tmp_path, monkeypatch
):
    """``versioned_query`` reads the type's view permission while the manifest is
    imported, before the manifest check could: loading the manifest names the module."""
    package = tmp_path / "insuree_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "manifest.py").write_text(
        "import strawberry_django\n"
        "from django.apps import apps\n"
        "from backend.graphql.permissions import GuardedNode\n"
        "from backend.graphql.queries import versioned_query\n"
        "from backend.registry import Manifest\n"
        "@strawberry_django.type(apps.get_model('payer.Payer'), name='Insuree')\n"
        "class InsureeNode(GuardedNode):\n"
        "    name: str\n"
        "manifest = Manifest(queries=[versioned_query(InsureeNode)])\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = types.ModuleType("insuree_pkg")
    module.__path__ = [str(package)]
    config = ModuleConfig("insuree_pkg", module)
    config.label = "insuree"
    with pytest.raises(ImproperlyConfigured) as raised:
        config.manifest  # noqa: B018 (the property imports the manifest)
    assert str(raised.value) == "module 'insuree': type InsureeNode declares no view_permission."
    sys.modules.pop("insuree_pkg.manifest", None)
