"""The speed-ups of the schema assembly keep the behaviour (see README "Benchmark")."""

import pytest

from backend.graphql.limits import guard_rules
from backend.graphql.resolvers import read_columns_directly
from backend.graphql.schema import get_schema


def test_columns_and_joined_relations_are_read_directly_fields_with_rules_are_not():
    # the location and payer modules' types (other active modules add their own)
    changed = [
        f for f in read_columns_directly(get_schema()) if f.split(".")[0] in ("Location", "Payer")
    ]
    assert changed == [
        *(
            f"Location.{name}"
            for name in (
                "uuid",
                "code",
                "name",
                "type",
                "parent",
                "malePopulation",
                "femalePopulation",
                "otherPopulation",
                "families",
                "validityFrom",
                "validityTo",
                "legacyAuditUserId",
            )
        ),
        *(
            f"Payer.{name}"
            for name in (
                "uuid",
                "name",
                "type",
                "address",
                "phone",
                "fax",
                "email",
                "validityFrom",
                "validityTo",
                "legacyAuditUserId",
            )
        ),
    ]
    # resolvers (children, payers, history) and permission checks (Payer.location) stay
    assert not {"Location.children", "Location.payers", "Payer.location"} & set(changed)


def test_guard_rules_are_created_once_so_the_validation_cache_hits():
    assert guard_rules(12, 30) is guard_rules(12, 30)
    assert guard_rules(12, 30) != guard_rules(5, 30)


@pytest.mark.django_db
def test_a_cached_document_is_still_refused(gql):
    deep = "{ locations { edges { node { " + "parent { " * 12 + "code" + " }" * 12 + " } } } }"
    for _ in range(2):  # parsed and validated once, refused both times
        assert "exceeds maximum operation depth of 12 (GRAPHQL_MAX_DEPTH)." in gql.errors(deep)[0]


@pytest.mark.django_db
def test_a_relation_not_joined_is_still_fetched(gql, make_chains):
    # createLocation's payload location is not built by the optimizer: parent is fetched
    make_chains(1)
    from modules.location.models import Location

    region = Location.objects.get(code="R0")
    data = gql.data(
        'mutation ($p: UUID!) { createLocation(input: {code: "R0X", name: "X", type: DISTRICT, '
        "parent: $p}) { location { code parent { code name } } errors { code } } }",
        {"p": str(region.uuid)},
    )
    assert data["createLocation"] == {
        "location": {"code": "R0X", "parent": {"code": "R0", "name": "Region 0"}},
        "errors": [],
    }


def test_per_document_computes_once_per_document_object_and_key(monkeypatch):
    from graphql import parse

    from backend.graphql import documents

    monkeypatch.setattr(documents, "DOCUMENT_CACHE_SIZE", 2)
    calls = []

    @documents.per_document
    def fields(document, *key):
        calls.append((document, key))
        return len(document.definitions[0].selection_set.selections)

    first, again = parse("{ a b }"), parse("{ a b }")  # same text, two objects
    assert [fields(first), fields(first), fields(first, "op")] == [2, 2, 2]
    assert len(calls) == 2  # once per (document, key)
    assert fields(again) == 2 and len(calls) == 3
    fields(parse("{ c }"))  # a third entry evicts the least recently used (first)
    fields(first)
    assert len(calls) == 5


@pytest.mark.django_db
def test_the_guard_rails_walk_a_document_once_and_still_read_each_requests_variables(
    gql, settings, monkeypatch
):
    from backend.graphql import cost

    walks = []
    real = cost.estimate_nodes
    monkeypatch.setattr(
        cost, "estimate_nodes", lambda *a, **k: walks.append(a[2:]) or real(*a, **k)
    )
    settings.GRAPHQL_MAX_NODES = 250  # first: 100 is 201 objects (connection, edges, nodes)
    fixed = "query Fixed { locations(first: 100) { edges { node { code } } } }"
    for _ in range(3):
        assert gql.data(fixed) == {"locations": {"edges": []}}
    assert walks == [("Fixed", {})]  # estimated once for the three requests
    varied = "query Varied($n: Int) { locations(first: $n) { edges { node { code } } } }"
    assert gql.data(varied, {"n": 50}) == {"locations": {"edges": []}}
    assert walks[1:] == [("Varied", {"n": 50})]  # 101 objects: within the limit
    # 301 objects by the page size: estimated again from the rows (none here), answered
    assert gql.data(varied, {"n": 150}) == {"locations": {"edges": []}}
    assert walks[2:] == [("Varied", {"n": 150}), ("Varied", {"n": 150})]
    settings.GRAPHQL_LIST_ESTIMATE = 21  # a setting the estimate reads: estimated again
    assert gql.data(fixed) == {"locations": {"edges": []}}
    assert len(walks) == 5


@pytest.mark.django_db
def test_a_document_is_parsed_and_validated_once_per_text(gql, settings):
    import uuid

    # the general path (on PostgreSQL a repeated compiled read is replayed without being
    # parsed at all: tests/test_request_cost.py)
    settings.GRAPHQL_COMPILE = False

    from strawberry.extensions.parser_cache import _get_parse_cache
    from strawberry.extensions.validation_cache import _get_validate_cache

    from backend.graphql.documents import DOCUMENT_CACHE_SIZE

    caches = (_get_parse_cache(DOCUMENT_CACHE_SIZE), _get_validate_cache(DOCUMENT_CACHE_SIZE))
    before = [cache.cache_info() for cache in caches]
    text = f"{{ a{uuid.uuid4().hex}: locations {{ totalCount }} }}"  # a text never sent
    for _ in range(3):
        gql.data(text)
    after = [cache.cache_info() for cache in caches]
    for old, new in zip(before, after, strict=True):  # parsing, then validation
        assert (new.misses - old.misses, new.hits - old.hits) == (1, 2)
    assert after[0].maxsize == after[1].maxsize == DOCUMENT_CACHE_SIZE
