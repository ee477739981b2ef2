"""Property-based tests: generated documents and nasty inputs never break the server.

Everything goes over HTTP (``/graphql`` through Django's test client, as a superuser):

- documents generated from the committed ``schema.graphql`` by hypothesis-graphql, valid
  ones and ones with one schema violation: never an HTTP 500, always a JSON body with
  ``data`` or ``errors``, no traceback or masked "Unexpected error." in any message;
- a refused mutation (errors in its payload, or GraphQL errors) leaves every row of the
  active modules' tables as it was;
- targeted strategies put nasty values into every argument and input field of the
  schema (each a "slot"): malformed and unknown uuids, wrong enum values, over-long
  strings, nulls for required fields, integers beyond 32 bits, NUL characters; and
  deeply nested and huge documents hit the depth, alias and token limits. Each gets a
  clear error.

Each example runs in a savepoint that is rolled back, so examples do not see each
other's writes and a failure replays the same way. The database fixture is shared by
the examples of one test on purpose (hence the function-scoped-fixture health check is
suppressed): the savepoint gives each example a pristine copy of it.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import graphql
import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries
from strawberry.relay import to_base64

from backend.text import FILTER_TEXT_LIMIT
from tests import samples

pytestmark = pytest.mark.django_db

SDL = (Path(__file__).resolve().parent.parent / "schema.graphql").read_text()
SCHEMA = graphql.build_schema(SDL)


def fuzz(examples: int):
    """Hypothesis settings: a modest budget, no deadline (a request takes a few ms, the
    first one much longer), the shared database fixture (see the module docstring)."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples on every run: CI stays reproducible
        print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# -- the world: the active modules' sample rows (Manifest.samples) -----------------------

UUIDS = samples.UUIDS
GLOBAL_IDS = list(samples.GLOBAL_IDS.values())


@pytest.fixture
def world(db) -> None:
    """Every active module's sample rows, with fixed identities (``tests/samples.py``)."""
    samples.create_world()


@pytest.fixture
def client(world) -> Client:
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("fuzzer", password=None))
    return client


# -- sending and checking ---------------------------------------------------------------

#: Text that must never reach a client: tracebacks, masked bugs, driver errors.
LEAKS = ("Traceback", 'File "', "Unexpected error", "psycopg", "sqlite3", "IntegrityError")


digest = samples.digest


def send(client: Client, document: str, variables: dict | None = None) -> dict:
    """POST a document; assert the answer is a clean JSON GraphQL response; return it."""
    body = json.dumps({"query": document, "variables": variables})
    response = client.post("/graphql", data=body, content_type="application/json")
    assert response.status_code != 500, response.content[:1000]
    assert response["Content-Type"].startswith("application/json"), (
        response.status_code,
        response.content[:500],
    )
    answer = response.json()
    assert "data" in answer or "errors" in answer, answer
    for error in answer.get("errors") or []:
        message = error["message"]
        assert message.strip(), answer
        found = leaked(message, request_texts(document, variables))
        assert not found, (found, document[:2000], variables, answer)
    return answer


def request_texts(document: str, variables: Any = None) -> list[str]:
    """The texts a request holds that an answer may echo: the strings of ``variables``
    (at any depth, keys too) and the string literals of ``document`` (none when it does
    not parse)."""
    found: list[str] = []
    stack = [variables]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    try:
        parsed = graphql.parse(document)
    except graphql.GraphQLError:
        return found

    class Strings(graphql.Visitor):
        def enter_string_value(self, node, *_):
            found.append(node.value)

    graphql.visit(parsed, Strings())
    return found


def leaked(message: str, texts: list[str]) -> list[str]:
    """The :data:`LEAKS` that ``message`` shows and the server added: a leak's text in the
    message counts unless it lies in an echo of one of the request's own ``texts``
    holding it (a malformed id ``sqlite3`` quoted back is the client's, not a driver's
    error). Returns them in :data:`LEAKS` order; a request holding no leak's text is
    checked as the bare message."""
    found = []
    for leak in LEAKS:
        rest = message
        for text in sorted((t for t in texts if leak in t), key=len, reverse=True):
            rest = rest.replace(text, "")
        if leak in rest:
            found.append(leak)
    return found


def messages(answer: dict) -> list[str]:
    return [e["message"] for e in answer.get("errors") or []]


def payload_refused(payload: Any) -> bool | None:
    """True when a mutation payload says nothing was written, False when it says
    something was, None when the selection does not tell."""
    if payload is None:
        return True
    if payload.get("errors"):
        return True
    objects = [v for k, v in payload.items() if k not in ("errors", "__typename")]
    if objects:
        return all(v is None for v in objects)
    return False if "errors" in payload else None


def check_refusal_changes_nothing(client: Client, document: str, variables=None) -> dict:
    """Send a mutation in a rolled-back savepoint; a refused one must change no row.

    The answer gets a ``"verdict"`` key for the statistics: refused, written or unknown.
    """
    with transaction.atomic():
        before = digest()
        answer = send(client, document, variables)
        data = answer.get("data")
        verdicts = [payload_refused(p) for p in data.values()] if data else [True]
        if all(v is True for v in verdicts):
            assert digest() == before, (document, variables, answer)
            answer["verdict"] = "refused"
        else:
            answer["verdict"] = "written" if digest() != before else "unknown"
        transaction.set_rollback(True)
    return answer


def isolated(client: Client, document: str, variables=None) -> dict:
    """Send a document in a rolled-back savepoint."""
    with transaction.atomic():
        answer = send(client, document, variables)
        transaction.set_rollback(True)
    return answer


# -- (a, b) documents generated from the schema ---------------------------------------------

#: Malformed text for the custom scalars (NUL: see test_nul_characters).
JUNK_CHARS = st.characters(min_codepoint=1, exclude_categories=["Cs"])
JUNK = st.text(JUNK_CHARS, max_size=40)
SCALARS = {
    "UUID": st.one_of(st.sampled_from(list(UUIDS.values())), st.uuids(), JUNK).map(nodes.String),
    "DateTime": st.one_of(
        st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()), JUNK
    ).map(nodes.String),
    "ID": st.one_of(st.sampled_from(GLOBAL_IDS), JUNK).map(nodes.String),
    # the other scalars strawberry can expose, for a module whose inputs use one
    "Date": st.one_of(st.dates().map(lambda d: d.isoformat()), JUNK).map(nodes.String),
    "Time": st.one_of(st.times().map(lambda t: t.isoformat()), JUNK).map(nodes.String),
    "Decimal": st.one_of(st.decimals(allow_nan=False, allow_infinity=False), JUNK).map(
        nodes.String
    ),
    "JSON": st.one_of(
        JUNK.map(nodes.String), st.integers().map(nodes.Int), st.booleans().map(nodes.Boolean)
    ),
    **{
        f"Base{base}": st.one_of(st.binary(max_size=30).map(encode), JUNK).map(nodes.String)
        for base, encode in (
            (16, lambda b: base64.b16encode(b).decode()),
            (32, lambda b: base64.b32encode(b).decode()),
            (64, lambda b: base64.b64encode(b).decode()),
        )
    },
}


def scalar_strategies(schema: graphql.GraphQLSchema) -> dict:
    """The strategies of :data:`SCALARS` for the custom scalars of ``schema``.

    Raises LookupError naming a scalar of ``schema`` without one: hypothesis-graphql
    cannot draw its values (``Scalar 'X' is not supported``)."""
    custom = [
        name
        for name, type_ in schema.type_map.items()
        if isinstance(type_, graphql.GraphQLScalarType)
        and name not in graphql.specified_scalar_types
    ]
    for name in custom:
        if name not in SCALARS:
            raise LookupError(
                f"Scalar {name!r} of schema.graphql has no strategy: add one to SCALARS in "
                "tests/test_fuzz.py (its values as GraphQL literals, valid ones and junk)."
            )
    return SCALARS


GENERATED = {"custom_scalars": scalar_strategies(SCHEMA), "allow_x00": False}


@fuzz(120)
@given(document=queries(SDL, **GENERATED))
def test_generated_queries(client, document):
    isolated(client, document)


@fuzz(60)
@given(document=queries(SDL, mode=Mode.NEGATIVE, **GENERATED))
def test_generated_invalid_queries_get_errors(client, document):
    answer = isolated(client, document)
    assert messages(answer), answer


@fuzz(150)
@given(document=mutations(SDL, **GENERATED))
def test_generated_mutations_refused_change_nothing(client, document):
    event(check_refusal_changes_nothing(client, document)["verdict"])


#: A module's mutation whose input uses each scalar strawberry can expose besides ours.
OTHER_SCALARS_SDL = """
scalar Date
scalar Time
scalar Decimal
scalar JSON
scalar Base16
scalar Base32
scalar Base64
input AddInsureeInput {
  dob: Date!
  at: Time!
  income: Decimal!
  extra: JSON!
  photo: Base64!
  a: Base16!
  b: Base32!
}
type Query { x: Int }
type Mutation { addInsuree(input: AddInsureeInput!): Boolean }
"""


@fuzz(30)
@given(document=mutations(OTHER_SCALARS_SDL, **GENERATED))
def test_documents_are_drawn_for_every_scalar_strawberry_exposes(document):
    schema = graphql.build_schema(OTHER_SCALARS_SDL)
    assert set(scalar_strategies(schema)) >= {"Date", "Time", "Decimal", "JSON", "Base64"}
    assert graphql.validate(schema, graphql.parse(document)) == []
    fields = graphql.parse(document).definitions[0].selection_set.selections[0].arguments[0]
    assert sorted(f.name.value for f in fields.value.fields) == [
        "a", "at", "b", "dob", "extra", "income", "photo"
    ]  # fmt: skip


def test_a_scalar_without_strategy_is_named():
    schema = graphql.build_schema("scalar Money\ntype Query { price(at: Money): Int }")
    with pytest.raises(LookupError, match=r"^Scalar 'Money' of schema.graphql has no strategy: "):
        scalar_strategies(schema)


@fuzz(60)
@given(document=mutations(SDL, mode=Mode.NEGATIVE, **GENERATED))
def test_generated_invalid_mutations_get_errors_and_change_nothing(client, document):
    answer = check_refusal_changes_nothing(client, document)
    event(answer["verdict"])
    assert messages(answer), answer


# -- (c) nasty values in every slot ---------------------------------------------------------

#: Root field: (selection, valid arguments). A slot's value replaces one leaf of these.
#: The core's ``node`` and each module's calls (``Manifest.samples.fuzz``).
ROOTS: dict[str, tuple[str, dict]] = {
    "node": ("{ id }", {"id": GLOBAL_IDS[0]}),
    **samples.merged("fuzz"),
}


@dataclass(frozen=True)
class Slot:
    """One leaf of a root field's arguments: ``path`` from the argument name down."""

    root: str
    path: tuple[str | int, ...]
    type: graphql.GraphQLInputType  # the leaf's type, with its non-null wrapper

    @property
    def mutation(self) -> bool:
        return self.root in SCHEMA.mutation_type.fields

    @property
    def scalar(self) -> str:
        return graphql.get_named_type(self.type).name

    @property
    def required(self) -> bool:
        return graphql.is_non_null_type(self.type)

    @property
    def field(self) -> str:
        """The input field's name, as the payload's errors name it."""
        return str(self.path[-1])

    def __repr__(self) -> str:
        return f"{self.root}({'.'.join(map(str, self.path))}: {self.type})"


def _slots() -> list[Slot]:
    slots = []
    for root in ROOTS:
        parent = SCHEMA.mutation_type if root in SCHEMA.mutation_type.fields else SCHEMA.query_type
        for name, argument in parent.fields[root].args.items():
            named = graphql.get_named_type(argument.type)
            prefix: tuple[str | int, ...] = (name,)
            if graphql.is_list_type(graphql.get_nullable_type(argument.type)):
                prefix = (name, 0)
            if isinstance(named, graphql.GraphQLInputObjectType):
                slots += [Slot(root, (*prefix, f), fld.type) for f, fld in named.fields.items()]
            else:
                slots.append(Slot(root, prefix, argument.type))
    return slots


SLOTS = _slots()


def test_every_root_field_is_fuzzed():
    """A new query or mutation must get its valid arguments in ROOTS (and so its slots)."""
    assert set(ROOTS) == set(SCHEMA.query_type.fields) | set(SCHEMA.mutation_type.fields)
    assert {s.root for s in SLOTS} == set(ROOTS)


def slots(*, scalar: str | None = None, mutation: bool | None = None, required=None):
    chosen = [
        s
        for s in SLOTS
        if (scalar is None or s.scalar == scalar)
        and (mutation is None or s.mutation == mutation)
        and (required is None or s.required == required)
    ]
    assert chosen, (scalar, mutation, required)
    return chosen


#: Defaults for input objects a slot lives in when the valid arguments have none.
FILLERS = {"orderBy": {"field": "CODE", "direction": "ASC"}}


def arguments_with(slot: Slot, value: Any) -> dict:
    """The root field's valid arguments with ``value`` at the slot."""
    arguments = json.loads(json.dumps(ROOTS[slot.root][1]))
    node: Any = arguments
    for key, next_key in zip(slot.path, slot.path[1:], strict=False):
        if isinstance(next_key, int):
            node = node.setdefault(key, [dict(FILLERS.get(key, {}))])
        elif isinstance(node, list):
            node = node[key]
        else:
            node = node.setdefault(key, {})
    node[slot.path[-1]] = value
    return arguments


def document_for(slot: Slot, arguments: dict, *, inline: bool) -> tuple[str, dict | None]:
    """The document calling the slot's root field with ``arguments``, as variables or
    inline literals."""
    parent = SCHEMA.mutation_type if slot.mutation else SCHEMA.query_type
    field = parent.fields[slot.root]
    selection = ROOTS[slot.root][0]
    operation = "mutation" if slot.mutation else "query"
    if inline:
        args = ", ".join(
            f"{name}: {literal(value, field.args[name].type)}" for name, value in arguments.items()
        )
        return f"{operation} {{ {slot.root}({args}) {selection} }}", None
    definitions = ", ".join(f"${name}: {field.args[name].type}" for name in arguments)
    args = ", ".join(f"{name}: ${name}" for name in arguments)
    header = f"{operation}({definitions})" if definitions else operation
    call = f"{slot.root}({args})" if args else slot.root
    return f"{header} {{ {call} {selection} }}", arguments


NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def literal(value: Any, type_: graphql.GraphQLInputType) -> str:
    """``value`` as a GraphQL literal for a position of type ``type_`` (enum names bare)."""
    named = graphql.get_nullable_type(type_)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if isinstance(named, graphql.GraphQLEnumType) and NAME.match(value):
            return value
        return json.dumps(value)
    if isinstance(value, list):
        item = named.of_type if isinstance(named, graphql.GraphQLList) else named
        return "[" + ", ".join(literal(v, item) for v in value) + "]"
    fields = named.fields if isinstance(named, graphql.GraphQLInputObjectType) else {}
    return (
        "{"
        + ", ".join(
            f"{k}: {literal(v, fields[k].type if k in fields else graphql.GraphQLString)}"
            for k, v in value.items()
        )
        + "}"
    )


def attempt(client: Client, slot: Slot, value: Any, inline: bool) -> dict:
    """Send the slot's document with ``value``; refused mutations must change nothing."""
    document, variables = document_for(slot, arguments_with(slot, value), inline=inline)
    if slot.mutation:
        return check_refusal_changes_nothing(client, document, variables)
    return isolated(client, document, variables)


def payload_errors(answer: dict, slot: Slot) -> list[tuple[str | None, str]]:
    payload = (answer.get("data") or {}).get(slot.root)
    assert payload is not None, answer
    return [(e["field"], e["code"]) for e in payload["errors"]]


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


REAL = next(iter(UUIDS.values()))  # a sample row's uuid, spoilt below
MALFORMED_UUIDS = st.one_of(
    st.sampled_from(
        ["", "nope", "1234", f"{REAL}0", REAL[:-1], REAL.replace("-", "_"),
         "00000000-0000-0000-0000-00000000000g", " " * 36]
    ),
    JUNK,
).filter(lambda s: not _is_uuid(s))  # fmt: skip


MALFORMED_DATETIMES = st.sampled_from(
    ["yesterday", "", "2020-13-01T00:00:00Z", "2020-01-01T25:00:00Z", "2020-02-30", "0"]
)


@fuzz(40)
@given(
    slot=st.sampled_from(slots(scalar="UUID")),
    value=st.uuids(),
    inline=st.booleans(),
)
def test_unknown_uuids(client, slot, value, inline):
    """A mutation names the unknown uuid's input field (NOT_FOUND); a filter (a field of
    ``filter``, or an argument of its own such as a module's ``location``) names it in an
    error (no empty page); a lookup by the row's own ``uuid`` finds nothing."""
    answer = attempt(client, slot, str(value), inline)
    if slot.mutation:
        assert payload_errors(answer, slot) == [(slot.field, "NOT_FOUND")], (slot, answer)
    elif slot.path != ("uuid",):
        named = ".".join(p for p in slot.path if isinstance(p, str))
        assert messages(answer) == [f"{named}: no location has uuid {value}."], slot
    else:
        assert "errors" not in answer, answer


def test_unknown_new_parent_names_its_field(client):
    slot = next(s for s in SLOTS if s.root == "deleteLocation" and s.field == "newParent")
    answer = attempt(client, slot, "5eed0000-0000-4000-8000-0000000003e7", inline=False)
    assert payload_errors(answer, slot) == [("newParent", "NOT_FOUND")]


def _enum_slots():
    return [s for s in SLOTS if isinstance(graphql.get_named_type(s.type), graphql.GraphQLEnumType)]


@fuzz(50)
@given(
    slot=st.sampled_from(_enum_slots()),
    value=st.one_of(
        st.sampled_from(["R", "C", "region", "Region", "PLANET", "", "ASC ", "1"]),
        st.text(st.characters(min_codepoint=48, max_codepoint=122), min_size=1, max_size=20),
    ),
    inline=st.booleans(),
)
def test_wrong_enum_values(client, slot, value, inline):
    enum = graphql.get_named_type(slot.type)
    if value in enum.values:
        return
    answer = attempt(client, slot, value, inline)
    assert any(f"'{enum.name}'" in m for m in messages(answer)), answer


#: Length limits of the mutations' text inputs (the services' rules).
LIMITS = samples.merged("text_limits")


@fuzz(60)
@given(
    slot=st.sampled_from(slots(scalar="String")),
    text=st.builds(
        lambda char, size: char * size,
        st.sampled_from(["x", "é", "中", "😀", "ab\n"]),
        st.one_of(st.integers(101, 2_000), st.just(10_000)),
    ),
    inline=st.booleans(),
)
def test_over_long_strings(client, slot, text, inline):
    """A text input over its limit is TOO_LONG on its field; a filter text over 200
    characters is refused, a shorter one just matches nothing."""
    answer = attempt(client, slot, text, inline)
    limit = LIMITS.get((slot.root, slot.field))
    if limit is not None:
        assert (slot.field, "TOO_LONG") in payload_errors(answer, slot), answer
    elif slot.field in ("after", "before"):
        (message,) = messages(answer)
        assert message.startswith(
            f"Argument '{slot.field}' is not a cursor of this connection (ordered by "
        ), message
    elif slot.path[0] == "filter" and len(text) > FILTER_TEXT_LIMIT:
        assert messages(answer) == [
            f"filter.{slot.field} has {len(text)} characters; at most {FILTER_TEXT_LIMIT}."
        ], answer
    else:
        assert "errors" not in answer, answer


@fuzz(50)
@given(slot=st.sampled_from(slots(required=True)), inline=st.booleans())
def test_null_for_non_null_inputs(client, slot, inline):
    answer = attempt(client, slot, None, inline)
    assert any("non-null type" in m for m in messages(answer)), answer


#: Nullable in the schema (an update leaves an omitted field as it is) but required by
#: the rules: an explicit null is REQUIRED on the field. (mutation, field, target row)
REQUIRED_BY_RULES = [r for m in samples.SAMPLES.values() for r in m.required_by_rules]


@pytest.mark.parametrize(("root", "field", "target"), REQUIRED_BY_RULES)
@pytest.mark.parametrize("inline", [False, True], ids=["variables", "inline"])
def test_null_for_fields_required_by_the_rules(client, root, field, target, inline):
    slot = next(s for s in SLOTS if s.root == root and s.field == field)
    arguments = {"input": {"uuid": UUIDS[target], field: None}}
    document, variables = document_for(slot, arguments, inline=inline)
    answer = check_refusal_changes_nothing(client, document, variables)
    assert payload_errors(answer, slot) == [(field, "REQUIRED")], answer


BEYOND_32_BITS = st.one_of(
    st.integers(min_value=2**31, max_value=2**80),
    st.integers(min_value=-(2**80), max_value=-(2**31) - 1),
)


WRONG_TYPE_INTS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f)),
    st.text(JUNK_CHARS, max_size=5),
    st.booleans(),
)

#: Malformed values of a scalar: (scalar, values, graphql-core's message, examples).
MALFORMED = {
    "uuids": ("UUID", MALFORMED_UUIDS, "cannot represent a UUID", 60),
    "datetimes": ("DateTime", MALFORMED_DATETIMES, "cannot represent a DateTime", 30),
    "integers-beyond-32-bits": ("Int", BEYOND_32_BITS, "non 32-bit signed integer value", 50),
    "integers-of-the-wrong-type": ("Int", WRONG_TYPE_INTS, "Int cannot represent", 40),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_scalar_values(client, case):
    """Every input of the scalar, in variables and inline, refuses each malformed value
    with graphql-core's message."""
    scalar, values, message, examples = MALFORMED[case]

    @fuzz(examples)
    @given(slot=st.sampled_from(slots(scalar=scalar)), value=values, inline=st.booleans())
    def refused(slot, value, inline):
        answer = attempt(client, slot, value, inline)
        assert any(message in m for m in messages(answer)), answer

    refused()


@fuzz(30)
@given(
    slot=st.sampled_from(slots(scalar="String")),
    text=st.sampled_from(["\x00", "a\x00b", "R1\x00", "\x00" * 9]),
    inline=st.booleans(),
)
def test_nul_characters(client, slot, text, inline):
    """NUL goes into every text input and filter here (the generated documents above leave
    it out, so that their strings reach the services): a clear error or an answer, never
    a database error (PostgreSQL cannot store or compare NUL)."""
    attempt(client, slot, text, inline)


@fuzz(20)
@given(
    type_name=st.sampled_from([*samples.VIEW, "Foo", "", "UserError"]),
    key=st.sampled_from(["xyz", "", "1.5", "1\x00", "🙂"]),
)
def test_global_ids_of_unknown_types_or_keys(client, type_name, key):
    answer = isolated(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": to_base64(type_name, key)}
    )
    assert answer["data"] == {"node": None}


@fuzz(30)
@given(value=st.one_of(JUNK, st.integers(), st.booleans()))
def test_malformed_global_ids(client, value):
    answer = isolated(client, "query($id: ID!) { node(id: $id) { id } }", {"id": value})
    if answer["data"] and answer["data"]["node"] is None and "errors" not in answer:
        return  # decodes to an id of no row
    assert messages(answer), answer


@pytest.mark.parametrize("value", ["sqlite3", 'File "x"', "Traceback (psycopg)"])
def test_an_id_echoed_back_is_no_leak(client, value):
    """The server quotes a malformed id back: a leak's text in it is the client's own."""
    answer = isolated(client, "query($id: ID!) { node(id: $id) { id } }", {"id": value})
    assert answer["data"] == {"node": None}
    assert value in messages(answer)[0]


def test_the_leak_check_still_sees_what_the_server_adds():
    assert sorted(request_texts("{ a(b: 1) }", {"id": [{"sqlite3": 1}]})) == ["id", "sqlite3"]
    assert sorted(request_texts('{ a(b: "y', {"id": "x"})) == ["id", "x"]  # no parse
    texts = request_texts('{ a(b: "sqlite3 x") }', {"id": ["Traceback"]})
    assert sorted(texts) == ["Traceback", "id", "sqlite3 x"]
    assert leaked("Bad id 'Traceback': sqlite3 x", texts) == []
    # the server's own driver error next to the echo, a leak the request does not hold
    assert leaked("Bad id 'sqlite3 x': sqlite3.OperationalError", texts) == ["sqlite3"]
    assert leaked('File "/app/x.py", line 1: psycopg', texts) == ['File "', "psycopg"]
    assert leaked("Unexpected error.", []) == ["Unexpected error"]


# -- (c) deep and huge documents ---------------------------------------------------------------


def nested(depth: int) -> str:
    return (
        "{ locations { edges { node { " + "parent { " * depth + "code" + " }" * depth + " } } } }"
    )


@fuzz(25)
@given(depth=st.integers(min_value=10, max_value=2_000))
def test_deep_selections(client, depth):
    """Depth counts from the root: locations > edges > node > parent…; above 12, refused."""
    answer = isolated(client, nested(depth))
    if depth + 3 <= django_settings.GRAPHQL_MAX_DEPTH:
        assert "errors" not in answer, answer
    else:
        assert len(messages(answer)) == 1, answer
        assert re.fullmatch(
            r"'anonymous' exceeds maximum operation depth of 12 \(GRAPHQL_MAX_DEPTH\)\."
            r"|Syntax Error: Document is nested too deeply\. Parsing aborted\."
            r"|Syntax Error: Document contains more than 2000 tokens \(GRAPHQL_MAX_TOKENS\)\. "
            r"Parsing aborted\.",
            messages(answer)[0],
        ), answer


@fuzz(25)
@given(depth=st.integers(min_value=2, max_value=3_000), kind=st.sampled_from("[{"))
def test_deeply_nested_argument_values(client, depth, kind):
    opening, inner, closing = ("[", "", "]") if kind == "[" else ("{a: ", "1", "}")
    value = opening * depth + inner + closing * depth
    answer = isolated(client, f"{{ locations(orderBy: {value}) {{ totalCount }} }}")
    assert messages(answer) and answer["data"] is None, answer


@fuzz(25)
@given(count=st.integers(min_value=31, max_value=1_500))
def test_too_many_aliases(client, count):
    answer = isolated(client, "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }")
    assert re.fullmatch(
        rf"{count} aliases found\. Allowed: 30 \(GRAPHQL_MAX_ALIASES\)\."
        r"|Syntax Error: Document contains more than 2000 tokens \(GRAPHQL_MAX_TOKENS\)\. "
        r"Parsing aborted\.",
        messages(answer)[0],
    ), answer


@fuzz(20)
@given(count=st.integers(min_value=2_001, max_value=23_000))  # within GRAPHQL_MAX_BODY_BYTES
def test_too_many_tokens(client, count):
    answer = isolated(client, "{ " + "__typename " * count + "}")
    assert messages(answer) == [
        "Syntax Error: Document contains more than 2000 tokens (GRAPHQL_MAX_TOKENS). "
        "Parsing aborted."
    ], answer


def test_a_long_string_is_one_token(client):
    """A 200 KB search string is one token, refused by the filter's text limit (SQLite
    would otherwise fail on it: 'LIKE or GLOB pattern too complex')."""
    answer = isolated(
        client, '{ locations(filter: {search: "' + "x" * 200_000 + '"}) { totalCount } }'
    )
    assert messages(answer) == ["filter.search has 200000 characters; at most 200."]
    # the input it refuses, by name: a client shows the refusal where the user typed it
    assert answer["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "argument": "filter.search",
    }


def test_a_huge_request_gets_a_clear_json_error(client):
    answer = send(
        client, '{ locations(filter: {search: "' + "x" * 3_000_000 + '"}) { totalCount } }'
    )
    assert messages(answer) == [
        "The request body is larger than 262,144 bytes (GRAPHQL_MAX_BODY_BYTES)."
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The request body is not valid JSON."),
        (b"{}", "No GraphQL query found in the request"),
        (json.dumps({"query": 123}).encode(), "The GraphQL operation's `query` must be a string"),
        (
            json.dumps({"query": "{ __typename }", "variables": [1]}).encode(),
            "The GraphQL operation's `variables` must be an object",
        ),
    ],
)
def test_malformed_requests_get_a_400_with_a_message(client, body, message):
    """Request-level errors: a 400 with a message (strawberry's are plain text)."""
    response = client.post("/graphql", data=body, content_type="application/json")
    assert response.status_code == 400
    text = response.content.decode()
    if response["Content-Type"].startswith("application/json"):
        text = " ".join(e["message"] for e in response.json()["errors"])
    assert message in text
