"""``schema.graphql`` is the public contract: committed, current and documented."""

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from backend.graphql.schema import get_schema
from backend.management.commands.graphql_schema import schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_schema_matches_the_live_schema():
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == schema_sdl(), (
        "schema.graphql differs from the live schema. If the change is intended (it is an "
        "API change: review it), regenerate with: python manage.py graphql_schema"
    )


def undocumented() -> list[str]:
    """Every public type, field, argument and enum value without a description."""
    missing = []
    for name, gtype in get_schema()._schema.type_map.items():
        if name.startswith("__"):
            continue
        if not gtype.description:
            missing.append(name)
        if isinstance(gtype, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in gtype.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(gtype, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in gtype.values.items() if not value.description]
    return missing


def test_every_public_type_and_field_has_a_description():
    assert undocumented() == []


def test_core_types_are_relay_shaped():
    sdl = schema_sdl()
    for line in (
        "type Location implements Node",
        "type Payer implements Node",
        "type LocationConnection",
        "edges: [LocationEdge!]!",
        "totalCount: Int",
        "payers: [Payer!]",
        "location(",
        "node(",
    ):
        assert line in sdl


def test_paging_arguments_say_what_they_do():
    # strawberry describes `last` as `after` ("… come after the specified cursor")
    query = get_schema()._schema.query_type
    connections = [f for f in query.fields.values() if "last" in f.args]
    assert len(connections) == 2  # locations, payers
    for field in connections:
        described = ("before", "after", "first", "last")
        assert {name: field.args[name].description for name in described} == {
            "before": "Returns the items in the list that come before the specified cursor.",
            "after": "Returns the items in the list that come after the specified cursor.",
            # both: refused (check_page_size), so both say so
            "first": "Returns the first n items from the list (not with `first` and `last` "
            "both: an error).",
            "last": "Returns the last n items from the list (not with `first` and `last` "
            "both: an error).",
        }
