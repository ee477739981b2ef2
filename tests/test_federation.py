"""Subgraph mode: each module is an Apollo Federation v2 subgraph of the same registry."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import strawberry
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from graphql import parse

from backend.graphql.federation import build_subgraph, get_subgraph
from backend.graphql.schema import build_schema, definition_of
from backend.management.commands.graphql_schema import schema_sdl
from backend.registry import ref
from conftest import fake_module

ROOT = Path(__file__).resolve().parent.parent
#: A superuser's request reads its session and user (superusers need no permission query).
SESSION_QUERIES = 2

PAYER_ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Location { uuid payers { name location { uuid } } }
  }
}
"""
LOCATION_ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Location { code parent { name } children { code } }
  }
}
"""


def post(client, path: str, query: str, variables: dict | None = None) -> dict:
    response = client.post(
        path,
        data=json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content[:500]
    return response.json()


@pytest.fixture
def client(client, make_user):
    """Django's test client, logged in as a superuser (the subgraphs need a user)."""
    client.force_login(make_user("admin", superuser=True))
    return client


def representations(locations) -> list[dict]:
    return [{"__typename": "Location", "uuid": str(loc.uuid)} for loc in locations]


# --- batched entity resolution ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("regions", [1, 100])
def test_payer_subgraph_resolves_locations_in_two_queries(
    client, make_chains, count_queries, regions
):
    # given 1 or 100 regions with one payer each
    made = make_chains(regions, regions_only=True)
    # when the gateway asks the payer subgraph for their payers
    result, captured = count_queries(
        post, client, "/graphql/payer", PAYER_ENTITIES, {"representations": representations(made)}
    )
    # then one query fetches the locations, one their payers (with locations joined)
    assert "errors" not in result, result
    assert len(captured) == SESSION_QUERIES + 2, "\n".join(q["sql"] for q in captured)
    entities = result["data"]["_entities"]
    assert len(entities) == regions
    assert entities[-1] == {
        "uuid": str(made[-1].uuid),
        "payers": [{"name": f"Payer of R{regions - 1}", "location": {"uuid": str(made[-1].uuid)}}],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("chains", [1, 25])
def test_location_subgraph_resolves_locations_in_two_queries(
    client, make_chains, count_queries, chains
):
    from modules.location.models import Location

    make_chains(chains)
    locations = list(Location.objects.order_by("?"))  # 4 per chain: 4 or 100
    result, captured = count_queries(
        post,
        client,
        "/graphql/location",
        LOCATION_ENTITIES,
        {"representations": representations(locations)},
    )
    assert "errors" not in result, result
    # the locations with their parents joined, then the children
    assert len(captured) == SESSION_QUERIES + 2, "\n".join(q["sql"] for q in captured)
    answered = result["data"]["_entities"]
    assert [e["code"] for e in answered] == [loc.code for loc in locations]
    district = next(e for e in answered if e["code"] == "R0D")
    assert district == {
        "code": "R0D",
        "parent": {"name": "Region 0"},
        "children": [{"code": "R0DW"}],
    }


@pytest.mark.django_db
def test_a_missing_entity_is_null_with_an_error(client, make_chains):
    (region,) = make_chains(1, regions_only=True)
    unknown = str(uuid.uuid4())
    reps = [
        {"__typename": "Location", "uuid": unknown},
        {"__typename": "Location", "uuid": str(region.uuid)},
        {"__typename": "Location", "uuid": "not-a-uuid"},
        {"__typename": "Payer", "uuid": unknown},
    ]
    result = post(client, "/graphql/payer", PAYER_ENTITIES, {"representations": reps})
    assert result["data"]["_entities"] == [
        None,
        {
            "uuid": str(region.uuid),
            "payers": [{"name": "Payer of R0", "location": {"uuid": str(region.uuid)}}],
        },
        None,
        None,
    ]
    errors = {tuple(e["path"]): e["message"] for e in result["errors"]}
    assert errors == {
        ("_entities", 0): f"No Location with uuid {unknown}.",
        ("_entities", 2): "Representation of Location needs a valid 'uuid'.",
        ("_entities", 3): f"No Payer with uuid {unknown}.",
    }


@pytest.mark.django_db
def test_payer_location_is_a_reference(client, make_chains):
    (region,) = make_chains(1, regions_only=True)
    result = post(
        client, "/graphql/payer", "{ payers { edges { node { name location { uuid } } } } }"
    )
    assert result == {
        "data": {
            "payers": {
                "edges": [{"node": {"name": "Payer of R0", "location": {"uuid": str(region.uuid)}}}]
            }
        }
    }


# --- the subgraphs' SDL ------------------------------------------------------------------


def fields_of(sdl: str, type_name: str) -> list[str]:
    """Field names of the object type ``type_name`` in ``sdl``, in order."""
    (node,) = [
        d for d in parse(sdl).definitions if getattr(d, "name", None) and d.name.value == type_name
    ]
    return [f.name.value for f in node.fields]


def test_location_subgraph_owns_the_location_entity():
    sdl = get_subgraph("location").as_str()
    assert 'import: ["@key", "@shareable"]' in sdl
    assert 'type Location implements Node @key(fields: "uuid") {' in sdl
    assert "payers" not in sdl and "Payer" not in sdl
    assert "type PageInfo @shareable {" in sdl
    assert fields_of(sdl, "Query") == ["_entities", "_service", "locations", "location"]


def test_payer_subgraph_extends_location_with_a_resolvable_stub():
    sdl = get_subgraph("payer").as_str()
    assert 'type Location @key(fields: "uuid") {' in sdl
    assert fields_of(sdl, "Location") == ["uuid", "payers", "payersConnection", "payersCount"]
    assert 'type Payer implements Node @key(fields: "uuid") {' in sdl
    assert "  location: Location\n" in sdl
    assert "type PageInfo @shareable {" in sdl
    assert fields_of(sdl, "Query") == ["_entities", "_service", "payers", "payer"]


def longest_key(field) -> object:
    """The longest JSON value of an entity's key ``field``: a uuid, a text of its
    ``max_length`` or the longest 64-bit integer."""
    if field.get_internal_type() == "UUIDField":
        return str(uuid.UUID(int=0))
    if field.get_internal_type().endswith(("IntegerField", "AutoField")):
        return -(2**63)
    return "x" * field.max_length


def test_representations_fit_the_bytes_the_body_limit_reserves(settings):
    # GRAPHQL_MAX_BODY_BYTES is refused below a gateway's page of representations of
    # REPRESENTATION_BYTES each: every entity of every subgraph fits (with the ", ")
    from backend.registry import active_modules

    sizes = {
        (module.label, name): len(
            json.dumps(
                {
                    "__typename": name,
                    entity.key: longest_key(entity.model._meta.get_field(entity.lookup)),
                }
            )
        )
        + len(", ")
        for module in active_modules()
        for name, entity in build_subgraph(module.label).entities.items()
    }
    measured = {("location", "Location"): 76, ("payer", "Location"): 76, ("payer", "Payer"): 73}
    assert {key: sizes[key] for key in measured if key in sizes} == {
        key: size for key, size in measured.items() if key[0] in {k[0] for k in sizes}
    }
    too_long = {key: size for key, size in sizes.items() if size > settings.REPRESENTATION_BYTES}
    assert too_long == {}, f"entities over REPRESENTATION_BYTES: {too_long}"


def test_subgraph_builds_leave_the_monolith_as_it_is():
    from modules.location.graphql.types import LocationNode

    definition = definition_of(LocationNode)
    fields = list(definition.fields)
    for label in ("location", "payer"):
        build_subgraph(label)
    assert definition_of(LocationNode) is definition and definition.fields == fields
    assert (ROOT / "schema.graphql").read_text() == schema_sdl()


def test_service_sdl_is_the_printed_subgraph(client):
    result = post(client, "/graphql/location", "{ _service { sdl } }")
    assert result["data"]["_service"]["sdl"] == get_subgraph("location").as_str()


# --- the module contract ------------------------------------------------------------------


@strawberry.type(description="Adds a field to Location.")
class _LocationExtra:
    extra: str = strawberry.field(description="Extra.", default="x")


@pytest.fixture
def restore_schema():
    yield
    build_schema()


def test_extending_a_type_without_key_is_refused(restore_schema):
    location = apps.get_app_config("location").manifest

    keyless = fake_module("location", queries=location.queries, types=location.types)
    extra = fake_module("extra", extensions={"Location": [_LocationExtra]})
    with pytest.raises(ImproperlyConfigured, match="module 'location' must declare its key"):
        build_subgraph("extra", [keyless, extra])


def test_unknown_subgraph_is_refused():
    with pytest.raises(ImproperlyConfigured, match="No active module 'claim'"):
        build_subgraph("claim", [apps.get_app_config("location")])


@strawberry.type(description="Points at a location.")
class _Pointer:
    location: ref("Location") | None = strawberry.field(description="A location.", default=None)


@strawberry.type(description="Root.")
class _PointerQuery:
    pointer: _Pointer | None = strawberry.field(description="A pointer.", default=None)


def test_reference_only_stub_is_not_resolvable(restore_schema):
    pointer = fake_module("pointer", queries=[_PointerQuery], types=[_Pointer])
    sdl = build_subgraph("pointer", [apps.get_app_config("location"), pointer]).as_str()
    assert 'type Location @key(fields: "uuid", resolvable: false) {' in sdl
    assert fields_of(sdl, "Location") == ["uuid"]


# --- composition -----------------------------------------------------------------------------


def test_committed_supergraph_is_the_composition_of_the_subgraphs():
    from backend.management.commands.supergraph import NODE, compose, subgraph_sdls

    if not NODE.is_file():
        pytest.skip("federation tooling not installed: make federation-tools")

    assert (ROOT / "supergraph.graphql").read_text() == compose(subgraph_sdls()), (
        "supergraph.graphql differs from the composed subgraphs; regenerate it with "
        "python manage.py supergraph"
    )


@pytest.mark.django_db
def test_a_bad_representations_variable_names_the_item(client):
    body = client.post(
        "/graphql/location",
        data=json.dumps(
            {
                "query": "query ($r: [_Any!]!) { _entities(representations: $r) "
                "{ ... on Location { code } } }",
                "variables": {"r": [{"__typename": "Location", "uuid": str(uuid.uuid4())}, None]},
            }
        ),
        content_type="application/json",
    ).json()
    assert body["errors"] == [
        {
            "message": "Variable '$r' has invalid value at [1]: Expected value of non-null "
            "type '_Any!' not to be null.",
            "locations": [{"line": 1, "column": 8}],
            "extensions": {"code": "BAD_USER_INPUT", "argument": "r[1]"},
        }
    ]
