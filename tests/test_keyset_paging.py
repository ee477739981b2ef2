"""Stable paging with keyset cursors (issue 11, item 5): rows deleted and inserted before
and after the cursor between pages never make a page skip or repeat a row, for several
orders (a nullable key, descending, several keys, a timestamp, a key through a join),
forwards and backwards; bad cursors are refused with BAD_USER_INPUT."""

from __future__ import annotations

import base64
import datetime
import functools
import json
from uuid import UUID

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from modules.location.models import Location
from modules.payer.models import Payer

pytestmark = pytest.mark.django_db

RANK = {"R": 0, "D": 1, "W": 2, "V": 3}
LOCATION_KEYS = {
    "code": lambda row: row.code,
    "name": lambda row: row.name.lower(),
    "type": lambda row: RANK[row.type],
}
PAYER_KEYS = {
    "name": lambda row: row.name.lower(),
    "email": lambda row: row.email.lower() if row.email else None,  # "" sorts as none
    "location_code": lambda row: row.location.code if row.location else None,
    "validity_from": lambda row: row.validity_from,
}


def compare(keys, a, b) -> int:
    """-1/0/1 as the connection orders rows ``a`` and ``b``: NULLs last ascending and
    first descending, the primary key last."""
    for getter, descending in keys:
        x, y = getter(a), getter(b)
        if x == y:
            continue
        # NULL is the greatest value; descending reverses everything
        bigger = x is None or (y is not None and x > y)
        return (-1 if bigger else 1) if descending else (1 if bigger else -1)
    return (a.pk > b.pk) - (a.pk < b.pk)


def make_payers() -> None:
    districts = [
        Location.objects.create(code=code, name=f"District {code}", type="R")
        for code in ("B1", "A1", "C1")
    ]
    emails = ["b@x.org", None, "A@x.org", "c@x.org", "", "a2@x.org", "B2@x.org", None]
    base = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    for i in range(14):
        Payer.objects.create(
            name=f"{'pP'[i % 2]}ayer {i:02}",
            type="G",
            email=emails[i % len(emails)],
            location=districts[i % 4] if i % 4 < 3 else None,
            validity_from=base + datetime.timedelta(days=i % 5),
        )


def make_locations() -> None:
    parent = None
    for i in range(14):
        kind = "RDWV"[i % 4]
        parent = Location.objects.create(
            code=f"L{i * 2 + 10}",
            name=f"{'nN'[i % 3 == 0]}ame {13 - i:02}",
            type=kind,
            parent=parent if kind != "R" else None,
        )
        if kind == "V":
            parent = None


def copy_next_to(row, *, after: bool):
    """A new current row with ``row``'s key values but its code (locations) or name
    (payers) just after or just before ``row``'s: it lands right next to it."""
    if isinstance(row, Location):
        code = row.code + "5" if after else row.code[:-1] + chr(ord(row.code[-1]) - 1) + "5"
        return Location.objects.create(code=code, name=row.name, type=row.type, parent=row.parent)
    name = row.name + "5" if after else row.name[:-1] + chr(ord(row.name[-1]) - 1) + "5"
    return Payer.objects.create(
        name=name, type="G", email=row.email, location=row.location,
        validity_from=row.validity_from,
    )  # fmt: skip


def delete(row) -> None:
    type(row).objects.filter(pk=row.pk).update(validity_to=timezone.now())


class Walk:
    """Pages through a connection while changing its rows, and keeps the oracle: which
    rows the walk must and must not return."""

    def __init__(self, gql, field, order_by, keys, *, backward):
        self.gql, self.field, self.backward = gql, field, backward
        self.model = Location if field == "locations" else Payer
        getters = LOCATION_KEYS if field == "locations" else PAYER_KEYS
        self.keys = [(getters[name], descending) for name, descending in keys]
        self.order_by = f", orderBy: {order_by}" if order_by else ""
        self.must, self.must_not = set(self.alive()), set()
        self.seen: list = []
        self.inserted = {"before": 0, "after": 0}

    def alive(self) -> dict:
        rows = self.model.objects.current()
        if self.model is Payer:
            rows = rows.select_related("location")
        return {row.uuid: row for row in rows}

    def beyond(self, row, cursor_row) -> bool:
        """True when ``row`` comes after the cursor in the walking direction."""
        sign = compare(self.keys, row, cursor_row)
        return sign < 0 if self.backward else sign > 0

    def page(self, cursor):
        size, where = ("last", "before") if self.backward else ("first", "after")
        position = f', {where}: "{cursor}"' if cursor else ""
        query = (
            f"{{ {self.field}({size}: 3{position}{self.order_by}) {{ "
            "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
            "edges { cursor node { uuid } } } }"
        )
        return self.gql.data(query)[self.field]

    def run(self) -> None:
        cursor, cursor_row = None, None
        for number in range(20):  # 14 rows, 3 a page: a walk that does not end fails
            alive = self.alive()
            page = self.page(cursor)
            uuids = [e["node"]["uuid"] for e in page["edges"]]
            rows = [alive[UUID(u)] for u in uuids]
            if self.backward:
                rows.reverse()
            self.check_page_info(page, rows, alive, cursor_row)
            self.seen.extend(rows)
            if not rows:
                break
            cursor = page["pageInfo"]["startCursor" if self.backward else "endCursor"]
            cursor_row = rows[-1]
            if number < 3:  # (a row inserted after each cursor: no end otherwise)
                self.change(rows, cursor_row)
        else:
            raise AssertionError(f"no end after 20 pages: {[r.pk for r in self.seen]}")
        assert len({row.uuid for row in self.seen}) == len(self.seen), "a row repeated"
        assert {row.uuid for row in self.seen} == self.must - self.must_not, "a row skipped"
        ordered = sorted(self.seen, key=functools.cmp_to_key(lambda a, b: compare(self.keys, a, b)))
        assert self.seen == (ordered[::-1] if self.backward else ordered)
        assert self.inserted["before"] >= 1 and self.inserted["after"] >= 1

    def check_page_info(self, page, rows, alive, cursor_row) -> None:
        """hasNextPage/hasPreviousPage as the Relay specification defines them."""
        info = page["pageInfo"]
        further = [r for r in alive.values() if rows and self.beyond(r, rows[-1])]
        earlier = cursor_row is not None and any(
            not self.beyond(r, cursor_row) for r in alive.values()
        )
        onward, back = ("hasPreviousPage", "hasNextPage") if self.backward else (
            "hasNextPage", "hasPreviousPage",
        )  # fmt: skip
        assert info[onward] == bool(further)
        assert info[back] == earlier
        edges = page["edges"]
        assert info["startCursor"] == (edges[0]["cursor"] if edges else None)
        assert info["endCursor"] == (edges[-1]["cursor"] if edges else None)

    def change(self, page_rows, cursor_row) -> None:
        """Delete the page's first row, the cursor's row and the next row not yet read;
        insert a row just before and one just after the cursor's row."""
        alive = self.alive()
        ahead = [r for r in alive.values() if self.beyond(r, cursor_row)]
        if ahead:
            nearest = ahead[0]
            for row in ahead[1:]:
                if self.beyond(nearest, row):
                    nearest = row
            delete(nearest)
            self.must_not.add(nearest.uuid)
        for row in {page_rows[0].uuid: page_rows[0], cursor_row.uuid: cursor_row}.values():
            delete(row)
        for after in (False, True):
            new = copy_next_to(cursor_row, after=after)
            new = self.alive()[new.uuid]
            where = "after" if self.beyond(new, cursor_row) else "before"
            self.inserted[where] += 1
            (self.must if where == "after" else self.must_not).add(new.uuid)


ORDERS = [
    ("locations", None, [("code", False)]),
    ("locations", "[{field: NAME, direction: DESC}]", [("name", True), ("code", False)]),
    (
        "locations",
        "[{field: TYPE}, {field: NAME}]",
        [("type", False), ("name", False), ("code", False)],
    ),
    ("payers", None, [("name", False)]),
    ("payers", "[{field: EMAIL}]", [("email", False), ("name", False)]),
    ("payers", "[{field: EMAIL, direction: DESC}]", [("email", True), ("name", False)]),
    (
        "payers",
        "[{field: LOCATION_CODE, direction: DESC}, {field: VALIDITY_FROM}]",
        [("location_code", True), ("validity_from", False), ("name", False)],
    ),
    (
        "payers",
        "[{field: VALIDITY_FROM, direction: DESC}]",
        [("validity_from", True), ("name", False)],
    ),
]  # fmt: skip


@pytest.mark.parametrize("backward", [False, True], ids=["first-after", "last-before"])
@pytest.mark.parametrize(("field", "order_by", "keys"), ORDERS)
def test_no_row_skipped_or_repeated_while_rows_change(gql, field, order_by, keys, backward):
    make_locations() if field == "locations" else make_payers()
    walk = Walk(gql, field, order_by, keys, backward=backward)
    walk.run()
    assert len(walk.seen) >= 8


def test_empty_texts_sort_as_none(gql):
    # an empty e-mail or phone sorted first ascending; it sorts with the payers without
    # one: last ascending, first descending (then by name)
    for name, text in [("d", ""), ("c", None), ("b", "012"), ("a", "A@x"), ("e", "b@x")]:
        Payer.objects.create(name=name, type="G", email=text, phone=text)

    def names(order: str) -> list[str]:
        query = f"{{ payers(orderBy: [{order}]) {{ edges {{ node {{ name }} }} }} }}"
        return [e["node"]["name"] for e in gql.data(query)["payers"]["edges"]]

    assert names("{field: EMAIL}") == ["b", "a", "e", "c", "d"]
    assert names("{field: EMAIL, direction: DESC}") == ["c", "d", "e", "a", "b"]
    assert names("{field: PHONE}") == ["b", "a", "e", "c", "d"]
    assert names("{field: PHONE, direction: DESC}") == ["c", "d", "e", "a", "b"]


def test_offset_cursors_skipped_a_row_keyset_cursors_do_not(gql):
    # the issue's case: page 1 of the villages, its first village deleted, page 2
    make_locations()
    page = gql.data("{ locations(first: 4) { pageInfo { endCursor } edges { node { code } } } }")
    first = [e["node"]["code"] for e in page["locations"]["edges"]]
    delete(Location.objects.get(code=first[0]))
    after = page["locations"]["pageInfo"]["endCursor"]
    second = gql.data(
        f'{{ locations(first: 4, after: "{after}") {{ edges {{ node {{ code }} }} }} }}'
    )
    assert first == ["L10", "L12", "L14", "L16"]
    assert [e["node"]["code"] for e in second["locations"]["edges"]] == ["L18", "L20", "L22", "L24"]


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def test_cursor_format(gql):
    make_payers()
    payer = Payer.objects.get(name="payer 00")  # the first by validity and name
    payer.name = '"A" ចំការ\\ payer'
    payer.save()
    edge = gql.data("{ payers(first: 1, orderBy: [{field: VALIDITY_FROM}]) { edges { cursor } } }")[
        "payers"
    ]["edges"][0]
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    microseconds = (payer.validity_from - epoch) // datetime.timedelta(microseconds=1)
    tag = "payer.payer validityFrom, name"
    payload = json.dumps([tag, microseconds, payer.name, payer.pk], ensure_ascii=False)
    assert edge["cursor"] == "k2:" + b64(payload)
    assert payload.startswith(f'["{tag}", {microseconds}, "\\"A\\" ចំការ\\\\ payer", ')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own JSON text")
def test_cursor_is_the_one_postgresql_writes(gql):
    make_payers()
    Payer.objects.filter(email="b@x.org").update(name='ចំការ "é"\\ \t payer')
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'k2:' || translate(encode(convert_to(json_build_array("
            "'payer.payer validityFrom desc, email desc, name'::text, "
            "(extract(epoch from validity_from) * 1000000)::bigint, nullif(email, ''), name,"
            " id)::text, 'UTF8'), 'base64'), E'+/=\\n', '-_') FROM payer_payer WHERE "
            "validity_to IS NULL ORDER BY validity_from DESC, lower(nullif(email, '')) DESC "
            "NULLS FIRST, lower(name), id"
        )
        expected = [row[0] for row in cursor.fetchall()]
    edges = gql.data(
        "{ payers(first: 100, orderBy: [{field: VALIDITY_FROM, direction: DESC}, "
        "{field: EMAIL, direction: DESC}]) { edges { cursor } } }"
    )["payers"]["edges"]
    assert [e["cursor"] for e in edges] == expected


def refusal(gql, query) -> tuple[str, str]:
    result = gql.post(query)
    assert result["data"] is None, result
    (error,) = result["errors"]
    return error["message"], error["extensions"]["code"]


@pytest.mark.parametrize(
    "cursor",
    [
        "bad",
        base64.b64encode(b"arrayconnection:3").decode(),  # an offset cursor of before
        "k1:" + b64('["L10", 1]'),  # the version before: no connection tag
        "k3:" + b64('["location.location code", "L10", 1]'),  # another version
        "k2:!!!",  # not base64
        "k2:" + b64("[1, 2"),  # not JSON
        "k2:" + b64('{"code": "L10"}'),  # not an array
        "k2:" + b64("[]"),
        "k2:" + b64('["L10", 1]'),  # no tag
        "k2:" + b64('["payer.payer code", "L10", 1]'),  # another connection's tag
        "k2:" + b64('["location.location name", "L10", 1]'),  # another order's tag
        "k2:" + b64('["location.location code", "L10"]'),  # arity
        "k2:" + b64('["location.location code", "L10", 1, 2]'),
        "k2:" + b64('["location.location code", 10, 1]'),  # the code is text
        "k2:" + b64('["location.location code", "L10", "1"]'),  # the pk is an integer
        "k2:" + b64('["location.location code", "L10", null]'),
        "k2:" + b64('["location.location code", null, 1]'),  # code is never NULL
        "k2:" + b64('["location.location code", "L10", true]'),
        "k2:" + b64('["location.location code", "L10", 1.5]'),
    ],
)
def test_bad_cursors_are_refused(gql, cursor):
    message, code = refusal(gql, f'{{ locations(first: 2, after: "{cursor}") {{ totalCount }} }}')
    assert (message, code) == (
        "Argument 'after' is not a cursor of this connection (ordered by code).",
        "BAD_USER_INPUT",
    )


def test_a_cursor_of_another_order_is_refused(gql):
    make_payers()
    make_locations()
    cursors = {
        name: gql.data(f"{{ {query} {{ pageInfo {{ endCursor }} }} }}")[name.split("_")[0]][
            "pageInfo"
        ]["endCursor"]
        for name, query in {
            "payers_by_date": "payers(first: 2, orderBy: [{field: VALIDITY_FROM}])",
            "locations": "locations(first: 2)",
            "payers": "payers(first: 2)",
        }.items()
    }
    by_date = cursors["payers_by_date"]
    assert refusal(gql, f'{{ payers(before: "{by_date}", last: 1) {{ totalCount }} }}') == (
        "Argument 'before' is not a cursor of this connection (ordered by name).",
        "BAD_USER_INPUT",
    )
    query = (
        f'{{ payers(after: "{cursors["locations"]}", orderBy: [{{field: EMAIL, direction: '
        "DESC}]) { totalCount } }"
    )
    assert refusal(gql, query) == (
        "Argument 'after' is not a cursor of this connection (ordered by email desc, name).",
        "BAD_USER_INPUT",
    )
    by_name = cursors["payers"]
    query = f'{{ locations(after: "{by_name}", orderBy: [{{field: TYPE}}]) {{ totalCount }} }}'
    assert refusal(gql, query)[0] == (
        "Argument 'after' is not a cursor of this connection (ordered by type, code)."
    )
    # a timestamp is its microseconds, never an ISO string
    iso = "k2:" + b64('["payer.payer validityFrom, name", "2024-01-01T00:00:00Z", "payer 00", 1]')
    query = f'{{ payers(after: "{iso}", orderBy: [{{field: VALIDITY_FROM}}]) {{ totalCount }} }}'
    assert refusal(gql, query)[0].endswith("(ordered by validityFrom, name).")


def test_a_cursor_of_another_connection_is_refused(gql):
    # given the last cursor of a page of regions: its keys (a code, an id) fit the
    # payers' order (a name, an id)
    make_payers()
    make_locations()
    regions = gql.data(
        "{ locations(first: 3, filter: {type: REGION}) { pageInfo { endCursor } } }"
    )["locations"]["pageInfo"]["endCursor"]
    payers = gql.data("{ payers(first: 3) { pageInfo { endCursor } } }")["payers"]["pageInfo"][
        "endCursor"
    ]
    # when it pages the payers (and a payers' cursor the locations), then it is refused
    for query, order in (
        (f'{{ payers(first: 3, after: "{regions}") {{ totalCount }} }}', "name"),
        (f'{{ locations(first: 3, before: "{payers}") {{ totalCount }} }}', "code"),
        (
            f'{{ payers(filter: {{type: GOVERNMENT}}, after: "{regions}") {{ totalCount }} }}',
            "name",
        ),
    ):
        argument = "before" if "before" in query else "after"
        assert refusal(gql, query) == (
            f"Argument '{argument}' is not a cursor of this connection (ordered by {order}).",
            "BAD_USER_INPUT",
        )
    # and its own connection still takes it
    assert gql.data(f'{{ payers(first: 1, after: "{payers}") {{ totalCount }} }}')


@pytest.mark.parametrize("compile_", [False, True])  # both paths on PostgreSQL
@pytest.mark.parametrize("field", ["locations", "payers"])
@pytest.mark.parametrize(("first", "last"), [(5, 2), (2, 2), (5, 0)])
def test_first_and_last_together_are_refused_naming_both(gql, compile_, field, first, last):
    """Relay allows both but discourages them; the page was the last `last` of the first
    `first`, which reads as if one of them were ignored: refused, naming both (was: a
    page of `last` rows, test_first_and_last_together_follow_relay)."""
    make_locations()
    make_payers()
    with override_settings(GRAPHQL_COMPILE=compile_):
        answer = refusal(gql, f"{{ {field}(first: {first}, last: {last}) {{ totalCount }} }}")
    assert answer == (
        f"Give either 'first' or 'last', not both (got first: {first}, last: {last}): "
        "'first' pages forwards from 'after', 'last' backwards from 'before'.",
        "BAD_USER_INPUT",
    )


def test_a_cursor_holding_a_nul_is_refused_before_any_sql(gql):
    # PostgreSQL can neither store nor compare a NUL: such a key was never a row's
    make_locations()
    make_payers()
    region = Location.objects.filter(parent=None).first()
    tag = {"code": "location.location code", "name": "payer.payer name"}
    nul = {field: "k2:" + b64(f'["{tag[field]}", "\\u0000", 1]') for field in tag}
    code, name = nul["code"], nul["name"]
    for field, query in {
        "code": f'{{ locations(first: 1, after: "{code}") {{ edges {{ node {{ code }} }} }} }}',
        "name": f'{{ payers(first: 1, after: "{name}") {{ edges {{ node {{ name }} }} }} }}',
    }.items():
        assert refusal(gql, query) == (
            f"Argument 'after' is not a cursor of this connection (ordered by {field}).",
            "BAD_USER_INPUT",
        )
    query = (
        f'{{ location(uuid: "{region.uuid}") {{ childrenConnection(first: 1, after: "{code}") '
        "{ edges { node { code } } } } }"
    )
    result = gql.post(query)
    (error,) = result["errors"]
    assert (result["data"], error["path"], error["extensions"]["code"]) == (
        {"location": None},  # the nested connection is non-null: its error nulls its parent
        ["location", "childrenConnection"],
        "BAD_USER_INPUT",
    )
    assert error["message"].startswith("Argument 'after' is not a cursor of this connection")
