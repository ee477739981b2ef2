"""Who made each version (issue 11, item 11): the username for a change made here, the
legacy AuditUserID for an imported row, never the one taken for the other."""

from __future__ import annotations

import csv

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

TAHIDA = "68753566-9d2e-4cec-936e-4c6bf1968c0d"  # region R2 of the demo, AuditUserId 2
COFFEE = "23602095-e132-4d4d-ac77-a64508323273"  # payer 1 of the demo
WHO = "auditUser legacyAuditUserId"
LOCATION = f'{{ location(uuid: "{TAHIDA}") {{ name {WHO} history {{ name {WHO} }} }} }}'


@pytest.fixture
def demo(db, demo_dir):
    """The openIMIS demo imported, and users of this installation with the ids its
    AuditUserIds (1 and 2) name, which must never be shown for them."""
    call_command("import_legacy", str(demo_dir), verbosity=0)
    for pk in (1, 2):
        if not User.objects.filter(pk=pk).exists():
            User.objects.create(pk=pk, username=f"django-user-{pk}")
    with connection.cursor() as cursor:  # PostgreSQL: the next user gets a fresh id
        for statement in connection.ops.sequence_reset_sql(no_style(), [User]):
            cursor.execute(statement)


def version(name: str, user: str | None, legacy: int | None) -> dict:
    return {"name": name, "auditUser": user, "legacyAuditUserId": legacy}


def test_imported_versions_show_their_legacy_ids_not_users_of_the_same_id(demo, gql):
    assert User.objects.filter(pk__in=[1, 2]).count() == 2
    location = gql.data(LOCATION)["location"]
    assert {k: location[k] for k in ("name", "auditUser", "legacyAuditUserId")} == version(
        "Tahida", None, 2
    )
    assert location["history"] == [version("Tahida", None, 2), version("Region 1", None, 1)]
    payer = gql.data(f'{{ payer(uuid: "{COFFEE}") {{ {WHO} }} }}')["payer"]
    assert payer["auditUser"] is None and isinstance(payer["legacyAuditUserId"], int)


@pytest.fixture
def editor(gql_as):
    """A GraphQL client of a location editor named ``username``."""

    def make(username: str):
        permissions = ("view_location", "change_location", "manage_upper_levels")
        return gql_as(*(f"location.{p}" for p in permissions), username=username)

    return make


def update_location(client, name: str) -> None:
    result = client.data(
        "mutation($input: UpdateLocationInput!) { updateLocation(input: $input) "
        "{ errors { code } } }",
        {"input": {"uuid": TAHIDA, "name": name}},
    )
    assert result["updateLocation"]["errors"] == []


def test_each_version_shows_who_made_it(demo, gql_as, editor):
    update_location(editor("alice"), "Tahida 2")
    update_location(editor("bob"), "Tahida 3")
    viewer = gql_as("location.view_location", username="viewer")
    location = viewer.data(LOCATION)["location"]  # a viewer of the object sees who
    assert {k: location[k] for k in ("name", "auditUser", "legacyAuditUserId")} == version(
        "Tahida 3", "bob", None
    )
    assert location["history"] == [  # newest first
        version("Tahida 2", "alice", None),
        version("Tahida", None, 2),
        version("Tahida", None, 2),
        version("Region 1", None, 1),
    ]


def test_a_payer_created_here_shows_its_username(demo, gql_as):
    client = gql_as(
        "payer.view_payer", "payer.add_payer", "location.view_location", username="carol"
    )
    created = client.data(
        "mutation($input: CreatePayerInput!) { createPayer(input: $input) "
        f"{{ payer {{ {WHO} }} errors {{ code }} }} }}",
        {"input": {"name": "New payer", "type": "GOVERNMENT", "location": TAHIDA}},
    )["createPayer"]
    assert created == {
        "payer": {"auditUser": "carol", "legacyAuditUserId": None},
        "errors": [],
    }


PAGE = f"""query($first: Int) {{
  locations(first: $first, validity: {{includeHistory: true}}) {{
    edges {{ node {{ {WHO} history {{ {WHO} }} }} }} }}
  payers(first: $first) {{ edges {{ node {{ {WHO} history {{ {WHO} }} }} }} }}
}}"""


def test_the_query_count_does_not_grow_with_the_page(demo, gql, editor):
    update_location(editor("alice"), "Tahida 2")
    counts = {}
    for first in (1, 100):
        with CaptureQueriesContext(connection) as captured:
            data = gql.data(PAGE, {"first": first})
        counts[first] = len(captured.captured_queries)
        users = {e["node"]["auditUser"] for e in data["locations"]["edges"]}
        if first == 100:
            assert len(data["locations"]["edges"]) == 54 and users == {None, "alice"}
    # the session, the user; per connection its page and its history: the users joined
    assert counts == {1: 2 + 2 + 2, 100: 2 + 2 + 2}


def test_the_legacy_export_writes_the_legacy_id_where_there_is_one(demo, editor, tmp_path):
    update_location(editor("alice"), "Tahida 2")
    call_command("export_legacy", str(tmp_path), verbosity=0)
    with open(tmp_path / "tblLocations.csv", newline="") as file:
        rows = {(r["LocationName"], r["AuditUserId"]) for r in csv.DictReader(file)}
    alice = User.objects.get(username="alice").pk
    assert {("Tahida 2", str(alice)), ("Tahida", "2"), ("Region 1", "1")} <= rows


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("app", "before", "after", "values"),
    [
        ("location", "0006_user_district", "0007_audit_user", {"type": "R"}),
        ("payer", "0004_versioned_base", "0005_audit_user", {"type": "G"}),
    ],
)
def test_existing_audit_user_ids_are_decided_by_when_their_user_existed(
    migrator, app, before, after, values
):
    old = migrator.apply_initial_migration((app, before))
    OldUser = old.apps.get_model("auth", "User")
    Old = old.apps.get_model(app, app.capitalize())
    joined = timezone.now() - timezone.timedelta(days=30)
    user = OldUser.objects.create(username="here", date_joined=joined)
    long_ago = joined - timezone.timedelta(days=3000)
    rows = {  # name -> (validity_from, validity_to, is a history row)
        "changed here": (timezone.now(), None, False),
        "imported, same id": (long_ago, None, False),
        "deleted here": (long_ago, timezone.now(), False),
        "imported history": (long_ago, timezone.now(), True),
    }
    rows["unknown user"] = (timezone.now(), None, False)
    current = None
    for number, (name, (start, end, history)) in enumerate(rows.items()):
        row = Old.objects.create(
            name=name,
            validity_from=start,
            validity_to=end,
            legacy_id=current.pk if history else None,
            audit_user_id=user.pk + 1000 if name == "unknown user" else user.pk,
            **values,
            **({"code": f"C{number}"} if app == "location" else {}),
        )
        current = current or row

    new = migrator.apply_tested_migration((app, after))

    New = new.apps.get_model(app, app.capitalize())
    who = dict(New.objects.values_list("name", "audit_user_id"))
    legacy = dict(New.objects.values_list("name", "legacy_audit_user_id"))
    assert who == {
        "changed here": user.pk,
        "imported, same id": None,
        "deleted here": user.pk,
        "imported history": None,
        "unknown user": None,
    }
    assert legacy == {
        "changed here": None,
        "imported, same id": user.pk,
        "deleted here": None,
        "imported history": user.pk,
        "unknown user": user.pk + 1000,
    }
    migrator.reset()


def test_the_admin_shows_legacy_ids_as_legacy(demo, admin_client):
    from modules.location.models import Location

    pk = Location.objects.get(uuid=TAHIDA).pk
    content = admin_client.get(f"/admin/location/location/{pk}/change/").content.decode()
    assert "legacy user #2" in content and "legacy user #1" in content  # row and versions
    assert "django-user-1" not in content and "django-user-2" not in content
