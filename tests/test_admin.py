"""The Django admin of locations and payers writes through the module services.

Same rules, history and permissions as the GraphQL mutations: a refused save shows the
service's messages on the right fields and writes nothing; a delete sets validity_to;
history rows are read-only; the change page lists the earlier versions.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import Client

from backend import versioning
from modules.location.models import Location
from modules.location.tests.trees import create_tree
from modules.payer import services as payer_services
from modules.payer.models import Payer

pytestmark = pytest.mark.django_db

LOCATIONS = "/admin/location/location/"
PAYERS = "/admin/payer/payer/"


# -- fixtures and helpers -----------------------------------------------------------


def staff(username: str, *permissions: str, superuser: bool = False) -> User:
    """A staff user with these permissions and the global district right (the district
    dimension of the admin: tests/test_district_rights.py)."""
    user = User.objects.create_user(username, password=None, is_staff=True, is_superuser=superuser)
    for permission in (*permissions, "location.all_districts"):
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_user() -> User:
    return staff("admin", superuser=True)


@pytest.fixture
def admin(admin_user) -> Client:
    """A staff superuser."""
    return client_for(admin_user)


@pytest.fixture
def editor() -> Client:
    """A staff location editor without location.manage_upper_levels."""
    return client_for(
        staff(
            "editor",
            *(f"location.{p}_location" for p in ("view", "add", "change", "delete")),
            "payer.view_payer",
        )
    )


@pytest.fixture
def tree() -> dict[str, Location]:
    """R1 Ultha > R1D1 Rapta > R1D1W1 Achi > R1D1W1V1 Rachla; R2 Tahida > R2D1 Rajo.

    One payer at R1 (Ultha co-op) and one at R2D1.
    """
    tree = create_tree("r1=R1 r2=R2 d1=R1D1 d2=R2D1 w1=R1D1W1 v1=R1D1W1V1")
    r1, d2 = tree["r1"], tree["d2"]
    Payer.objects.create(name="Ultha co-op", type="C", location=r1, phone="")
    Payer.objects.create(name="Rajo council", type="L", location=d2)
    return tree


def fresh(row):
    return type(row).objects.get(pk=row.pk)


def snapshot() -> list[tuple]:
    """Every row of both tables, every column: equal snapshots mean nothing was written."""
    return [
        *Location.objects.order_by("pk").values_list(),
        *Payer.objects.order_by("pk").values_list(),
    ]


def admin_form(row, names: list[str], foreign_key: str, **changes) -> dict:
    """The admin form's POST data for ``row`` (or an empty one) over the field ``names``
    (``foreign_key`` read as its ``_id``), with ``changes`` (None posts "")."""
    data = dict.fromkeys(names, "")
    if row is not None:
        for name in names:
            value = getattr(row, f"{name}_id" if name == foreign_key else name)
            data[name] = "" if value is None else value
    data.update({k: "" if v is None else v for k, v in changes.items()})
    return {**data, "_save": "Save"}


def location_form(location: Location | None = None, **changes) -> dict:
    names = ["code", "name", "type", "parent", "male_population", "female_population",
             "other_population", "families"]  # fmt: skip
    return admin_form(location, names, "parent", **changes)


def payer_form(payer: Payer | None = None, **changes) -> dict:
    names = ["name", "type", "location", "address", "phone", "fax", "email"]
    return admin_form(payer, names, "location", **changes)


def form_errors(response) -> dict[str, list[tuple[str, str]]]:
    """The form's errors as {field: [(code, message)]} ("__all__" for the form as a whole)."""
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    return {
        field: [(e.code, " ".join(e.messages)) for e in errors]
        for field, errors in form.errors.as_data().items()
    }


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# -- lists ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (LOCATIONS, ["R1", "R1", "R1D1", "R1D1W1", "R1D1W1V1", "R2", "R2D1"]),
        (f"{LOCATIONS}?type__exact=R", ["R1", "R1", "R2"]),
        (f"{LOCATIONS}?type__exact=D&validity=current", ["R1D1", "R2D1"]),
        (f"{LOCATIONS}?type__exact=R&validity=history", ["R1"]),
        (f"{LOCATIONS}?validity=current&q=rach", ["R1D1W1V1"]),
        (f"{LOCATIONS}?q=ultha", ["R1", "R1"]),
        (PAYERS, ["Old co-op", "Rajo council", "Ultha co-op"]),
        (f"{PAYERS}?type__exact=L", ["Rajo council"]),
        (f"{PAYERS}?validity=current", ["Rajo council", "Ultha co-op"]),
        (f"{PAYERS}?validity=history", ["Old co-op"]),
        (f"{PAYERS}?q=council", ["Rajo council"]),
    ],
)
def test_changelists_list_search_and_filter(admin, tree, url, expected):
    Location.objects.create(
        code="R1",
        name="Old Ultha",
        type="R",
        validity_to="2020-01-01T00:00:00Z",
        legacy=tree["r1"],
    )
    Payer.objects.create(
        name="Old co-op", type="C", validity_to="2020-01-01T00:00:00Z", legacy_id=1
    )
    response = admin.get(url)
    assert response.status_code == 200
    listed = [getattr(row, "code", None) or row.name for row in response.context["cl"].result_list]
    assert listed == expected


# -- add -----------------------------------------------------------------------------


def test_add_location_creates_it_through_the_service(admin, admin_user, tree):
    response = admin.post(
        f"{LOCATIONS}add/",
        location_form(code=" R1D2 ", name="Tarak", type="D", parent=tree["r1"].pk, families=12),
    )
    assert response.status_code == 302, form_errors(response)
    created = Location.objects.get(code="R1D2")
    assert (created.name, created.type, created.parent, created.families) == (
        "Tarak",
        "D",
        tree["r1"],
        12,
    )
    assert created.audit_user_id == admin_user.pk
    assert created.validity_to is None and created.legacy_id is None
    assert LogEntry.objects.filter(object_id=str(created.pk), action_flag=1).exists()


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"code": "R1D2TOOLONG"}, "code", "TOO_LONG"),
        ({"name": "N" * 51}, "name", "TOO_LONG"),
        ({"code": "R2D1"}, "code", "DUPLICATE"),
        ({"type": "W"}, "parent", "WRONG_PARENT_LEVEL"),  # a municipality under a region
        ({"type": "R"}, "parent", "PARENT_NOT_ALLOWED"),
        ({"parent": ""}, "parent", "PARENT_REQUIRED"),
        ({"families": -1}, "families", "NEGATIVE"),
        ({"male_population": "many"}, "male_population", "invalid"),  # the form's parsing
        ({"type": "X"}, "type", "invalid_choice"),
    ],
)
def test_invalid_add_shows_the_error_on_its_field_and_writes_nothing(
    admin, tree, changes, field, code
):
    before = snapshot()
    data = location_form(code="R1D2", name="Tarak", type="D", parent=tree["r1"].pk)
    response = admin.post(f"{LOCATIONS}add/", {**data, **changes})
    errors = form_errors(response)
    assert code in [c for c, _ in errors[field]], errors
    assert snapshot() == before


def test_add_with_a_history_parent_is_refused(admin, tree):
    old = Location.objects.create(
        code="R9", name="Gone", type="R", validity_to="2020-01-01T00:00:00Z"
    )
    before = snapshot()
    response = admin.post(
        f"{LOCATIONS}add/", location_form(code="R9D1", name="X", type="D", parent=old.pk)
    )
    assert ("NOT_CURRENT", f"The parent {old} is a history version, not current.") in (
        form_errors(response)["parent"]
    )
    assert snapshot() == before


# -- change --------------------------------------------------------------------------


def test_change_keeps_a_history_row_and_the_uuid(admin, admin_user, tree):
    achi = tree["w1"]
    response = admin.post(
        f"{LOCATIONS}{achi.pk}/change/", location_form(achi, name="Achi Thom", families=40)
    )
    assert response.status_code == 302, form_errors(response)
    current = fresh(achi)
    assert (current.uuid, current.name, current.families) == (achi.uuid, "Achi Thom", 40)
    assert current.audit_user_id == admin_user.pk
    assert current.validity_to is None
    (old,) = Location.objects.filter(legacy=achi)
    assert (old.name, old.families, old.code, old.parent_id) == (
        "Achi",
        None,
        "R1D1W1",
        achi.parent_id,
    )
    assert old.validity_to == current.validity_from
    assert old.uuid != achi.uuid
    assert Location.objects.count() == 7


def test_a_save_without_changes_writes_no_version(admin, tree):
    before = snapshot()
    response = admin.post(f"{LOCATIONS}{tree['w1'].pk}/change/", location_form(tree["w1"]))
    assert response.status_code == 302
    assert snapshot() == before


def test_a_new_parent_is_a_move(admin, tree):
    achi = tree["w1"]
    response = admin.post(
        f"{LOCATIONS}{achi.pk}/change/", location_form(achi, parent=tree["d2"].pk)
    )
    assert response.status_code == 302, form_errors(response)
    assert fresh(achi).parent == tree["d2"]
    (old,) = Location.objects.filter(legacy=achi)
    assert old.parent == tree["d1"]


def test_a_new_level_under_a_new_parent_is_one_version(admin, tree):
    """A village becomes a municipality under a district: both change in one save."""
    rachla = tree["v1"]
    response = admin.post(
        f"{LOCATIONS}{rachla.pk}/change/", location_form(rachla, type="W", parent=tree["d2"].pk)
    )
    assert response.status_code == 302, form_errors(response)
    assert (fresh(rachla).type, fresh(rachla).parent) == ("W", tree["d2"])
    (old,) = Location.objects.filter(legacy=rachla)
    assert (old.type, old.parent) == ("V", tree["w1"])


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"code": "R1D1W1XYZ"}, "code", "TOO_LONG"),
        ({"code": "R2D1"}, "code", "DUPLICATE"),
        ({"code": " "}, "code", "required"),
        ({"parent": "region"}, "parent", "WRONG_PARENT_LEVEL"),
        ({"parent": "self"}, "parent", "WRONG_PARENT_LEVEL"),
        ({"other_population": -5}, "other_population", "NEGATIVE"),
        # Checked by the service under the row lock, not by validate(): the form is shown
        # again with the refusal (the transaction was rolled back).
        ({"type": "D", "parent": "region"}, "type", "HAS_CHILDREN"),
    ],
)
def test_invalid_change_shows_the_error_and_writes_nothing(admin, tree, changes, field, code):
    achi = tree["w1"]
    targets = {"region": tree["r1"].pk, "self": achi.pk}
    changes = {k: targets.get(v, v) for k, v in changes.items()}
    before = snapshot()
    entries = LogEntry.objects.count()
    response = admin.post(f"{LOCATIONS}{achi.pk}/change/", location_form(achi, **changes))
    errors = form_errors(response)
    assert code in [c for c, _ in errors[field]], errors
    assert snapshot() == before
    assert LogEntry.objects.count() == entries


def test_the_services_messages_are_shown(admin, tree):
    achi = tree["w1"]
    response = admin.post(f"{LOCATIONS}{achi.pk}/change/", location_form(achi, code="R1D1W1XYZ"))
    assert "The code has 9 characters; at most 8 are allowed." in response.content.decode()


# -- permissions: regions and districts need location.manage_upper_levels ------------------


def test_editor_without_upper_levels_creates_a_municipality_not_a_district(editor, tree):
    response = editor.post(
        f"{LOCATIONS}add/",
        location_form(code="R1D1W2", name="Boeng", type="W", parent=tree["d1"].pk),
    )
    assert response.status_code == 302, form_errors(response)
    assert Location.objects.filter(code="R1D1W2", validity_to=None).exists()

    before = snapshot()
    response = editor.post(
        f"{LOCATIONS}add/", location_form(code="R1D9", name="Tarak", type="D", parent=tree["r1"].pk)
    )
    message = (
        "Permission denied: you need 'location.manage_upper_levels' to create or change "
        "regions and districts."
    )
    assert form_errors(response)["__all__"] == [("PERMISSION_DENIED", message)]
    assert message in page_messages(response)
    assert snapshot() == before


def test_editor_cannot_raise_a_municipality_to_a_district(editor, tree):
    achi = tree["w1"]
    Location.objects.filter(parent=achi).delete()  # no children in the way
    before = snapshot()
    response = editor.post(
        f"{LOCATIONS}{achi.pk}/change/", location_form(achi, type="D", parent=tree["r1"].pk)
    )
    assert [c for c, _ in form_errors(response)["__all__"]] == ["PERMISSION_DENIED"]
    assert snapshot() == before


def test_editor_sees_regions_and_districts_read_only(editor, tree):
    rapta = tree["d1"]
    page = editor.get(f"{LOCATIONS}{rapta.pk}/change/")
    assert page.status_code == 200
    assert 'name="code"' not in page.content.decode()
    before = snapshot()
    assert (
        editor.post(f"{LOCATIONS}{rapta.pk}/change/", location_form(rapta, name="X")).status_code
        == 403
    )
    assert editor.post(f"{LOCATIONS}{rapta.pk}/delete/", {"post": "yes"}).status_code == 403
    assert snapshot() == before
    # A municipality is editable.
    assert 'name="code"' in editor.get(f"{LOCATIONS}{tree['w1'].pk}/change/").content.decode()


# -- delete --------------------------------------------------------------------------


def test_delete_sets_validity_to_and_removes_nothing(admin, admin_user, tree):
    rachla = tree["v1"]
    count = Location.objects.count()
    confirm = admin.get(f"{LOCATIONS}{rachla.pk}/delete/")
    assert confirm.status_code == 200
    assert "kept as history" in confirm.content.decode()
    response = admin.post(f"{LOCATIONS}{rachla.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Location.objects.count() == count
    deleted = fresh(rachla)
    assert deleted.validity_to is not None
    assert deleted.audit_user_id == admin_user.pk


def test_delete_of_a_location_with_children_is_refused(admin, tree):
    achi = tree["w1"]
    before = snapshot()
    entries = LogEntry.objects.count()
    response = admin.post(f"{LOCATIONS}{achi.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.redirect_chain[0][0] == f"{LOCATIONS}{achi.pk}/change/"
    (message,) = page_messages(response)
    assert message.startswith("Not deleted: R1D1W1 Achi has 1 current child location(s)")
    assert snapshot() == before
    assert LogEntry.objects.count() == entries


def test_delete_of_a_location_with_payers_is_refused(admin, tree):
    rajo = tree["d2"]
    before = snapshot()
    response = admin.post(f"{LOCATIONS}{rajo.pk}/delete/", {"post": "yes"}, follow=True)
    assert "still has 1 current payer(s)" in page_messages(response)[0]
    assert snapshot() == before


def test_bulk_delete_deletes_a_branch_lowest_level_first(admin, tree):
    ids = [tree["w1"].pk, tree["v1"].pk]
    count = Location.objects.count()
    response = admin.post(
        LOCATIONS, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert response.status_code == 302
    assert Location.objects.count() == count
    assert Location.objects.filter(pk__in=ids, validity_to=None).count() == 0


def test_bulk_delete_is_all_or_nothing(admin, tree):
    ids = [tree["v1"].pk, tree["d2"].pk, tree["r2"].pk]  # Rajo has a payer; Tahida a child
    before = snapshot()
    response = admin.post(
        LOCATIONS,
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
        follow=True,
    )
    (message,) = page_messages(response)
    assert message.startswith("Nothing was deleted: ")
    assert "R2D1 Rajo still has 1 current payer(s)" in message
    assert "R2 Tahida has 1 current child location(s)" in message
    assert snapshot() == before


def test_delete_payer_sets_validity_to(admin, tree):
    payer = Payer.objects.get(name="Ultha co-op")
    response = admin.post(f"{PAYERS}{payer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert fresh(payer).validity_to is not None
    assert Payer.objects.count() == 2


# -- history rows are read-only; the history section --------------------------------


@pytest.fixture
def versions(admin, tree):
    """Achi renamed twice through the admin: Achi -> Achi Thom -> Achi Toch."""
    achi = tree["w1"]
    for name in ("Achi Thom", "Achi Toch"):
        response = admin.post(
            f"{LOCATIONS}{achi.pk}/change/", location_form(fresh(achi), name=name)
        )
        assert response.status_code == 302
    return achi, list(Location.objects.filter(legacy=achi).order_by("-validity_to"))


def test_history_section_lists_earlier_versions_newest_first(admin, versions):
    achi, (newer, older) = versions
    assert (newer.name, older.name) == ("Achi Thom", "Achi")
    content = admin.get(f"{LOCATIONS}{achi.pk}/change/").content.decode()
    history = content[content.index('class="version-history"') :]
    assert history.index("Achi Thom") < history.index("Achi<")
    for row in (newer, older):
        assert f'href="{LOCATIONS}{row.pk}/change/"' in history
    assert "admin (#" in history  # who made each version


def test_history_row_is_read_only(admin, versions):
    achi, (newer, _older) = versions
    url = f"{LOCATIONS}{newer.pk}/change/"
    page = admin.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="code"' not in content and 'name="_save"' not in content
    assert "This row is itself an earlier version" in content
    assert f'href="{LOCATIONS}{achi.pk}/change/"' in content  # link to the current version
    before = snapshot()
    assert admin.post(url, location_form(newer, name="Rewritten")).status_code == 403
    assert admin.post(f"{LOCATIONS}{newer.pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin.post(
        LOCATIONS,
        {"action": "delete_selected", "_selected_action": [newer.pk], "post": "yes"},
        follow=True,
    )
    assert "history is never changed" in page_messages(response)[0]
    assert snapshot() == before


# -- payers --------------------------------------------------------------------------


def test_add_payer_through_the_service(admin, admin_user, tree):
    response = admin.post(
        f"{PAYERS}add/",
        payer_form(
            name=" Tahida health fund ",
            type="D",
            location=tree["r2"].pk,
            address="1 Main Street\r\nTahida",
            email="fund@example.org",
        ),
    )
    assert response.status_code == 302, form_errors(response)
    payer = Payer.objects.get(name="Tahida health fund")
    assert (payer.location, payer.email, payer.phone) == (tree["r2"], "fund@example.org", None)
    assert payer.address == "1 Main Street\r\nTahida"
    assert payer.audit_user_id == admin_user.pk


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": "P" * 101}, "name", "TOO_LONG"),
        ({"phone": "1" * 51}, "phone", "TOO_LONG"),
        ({"email": "not-an-email"}, "email", "INVALID_EMAIL"),
        ({"location": "village"}, "location", "WRONG_LOCATION_LEVEL"),
        ({"type": "Z"}, "type", "invalid_choice"),
    ],
)
def test_invalid_payer_change_shows_the_error_and_writes_nothing(admin, tree, changes, field, code):
    payer = Payer.objects.get(name="Ultha co-op")
    changes = {k: tree["v1"].pk if v == "village" else v for k, v in changes.items()}
    before = snapshot()
    response = admin.post(f"{PAYERS}{payer.pk}/change/", payer_form(payer, **changes))
    errors = form_errors(response)
    assert code in [c for c, _ in errors[field]], errors
    assert snapshot() == before


def test_payer_change_keeps_history_and_legacy_empty_strings(admin, tree):
    payer = Payer.objects.get(name="Ultha co-op")
    response = admin.post(
        f"{PAYERS}{payer.pk}/change/",
        payer_form(payer, name="Ultha co-operative", location=tree["d1"].pk),
    )
    assert response.status_code == 302, form_errors(response)
    current = fresh(payer)
    assert (current.uuid, current.name, current.location) == (
        payer.uuid,
        "Ultha co-operative",
        tree["d1"],
    )
    assert current.phone == ""  # untouched: the legacy empty string stays
    (old,) = Payer.objects.filter(legacy=payer)
    assert (old.name, old.location) == ("Ultha co-op", tree["r1"])
    content = admin.get(f"{PAYERS}{payer.pk}/change/").content.decode()
    assert "Ultha co-op<" in content[content.index('class="version-history"') :]


# -- the version the form was opened on ---------------------------------------------------


def opened_version(client, url: str) -> str:
    """The version the change page at ``url`` carries in its hidden field (as rendered)."""
    response = client.get(url)
    assert response.status_code == 200
    field = response.context["adminform"].form["expected_validity_from"]
    assert field.is_hidden
    assert f'name="expected_validity_from" value="{field.value()}"' in response.content.decode()
    return field.value()


def change_elsewhere(payer: Payer) -> None:
    """Another user changes ``payer``'s phone through the service: a newer version."""
    other = User.objects.create_user("other", is_superuser=True)
    payer_services.update_payer(payer.uuid, {"phone": "012 345 678"}, user=other)


def test_a_save_after_another_change_is_refused_and_writes_nothing(admin, tree):
    """Open the change page, another client changes the payer, then Save: refused."""
    payer = Payer.objects.get(name="Ultha co-op")
    url = f"{PAYERS}{payer.pk}/change/"
    opened = opened_version(admin, url)
    assert opened == payer.validity_from.isoformat()
    change_elsewhere(payer)
    before = snapshot()
    data = payer_form(payer, name="Ultha co-operative", expected_validity_from=opened)
    response = admin.post(url, data)
    (message,) = [m for c, m in form_errors(response)["__all__"] if c == "STALE_VERSION"]
    current = fresh(payer)
    assert message == (
        f"This payer was changed since you opened it: you opened the version valid from "
        f"{opened}, the current one is valid from {current.validity_from.isoformat()}. "
        "Nothing was saved: reload the page to see the current values, then make your "
        "change again."
    )
    assert snapshot() == before
    assert (current.name, current.phone) == ("Ultha co-op", "012 345 678")
    # Reloaded, the page carries the new version, and the save goes through.
    data = payer_form(current, name="Ultha co-operative")
    response = admin.post(url, {**data, "expected_validity_from": opened_version(admin, url)})
    assert response.status_code == 302, form_errors(response)
    assert (fresh(payer).name, fresh(payer).phone) == ("Ultha co-operative", "012 345 678")


def test_a_location_save_after_another_change_is_refused(admin, tree):
    achi = tree["w1"]
    url = f"{LOCATIONS}{achi.pk}/change/"
    opened = opened_version(admin, url)
    admin.post(url, location_form(achi, families=40))  # another tab, no version posted
    before = snapshot()
    response = admin.post(url, location_form(achi, name="Achi Thom", expected_validity_from=opened))
    assert [c for c, _ in form_errors(response)["__all__"]] == ["STALE_VERSION"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "posted", ["yesterday", "2026-01-31T08:15:42", "2026-01-31T08:15:42.1234567+00:00"]
)
def test_a_version_that_is_not_a_zoned_time_is_refused(admin, tree, posted):
    payer = Payer.objects.get(name="Ultha co-op")
    before = snapshot()
    response = admin.post(
        f"{PAYERS}{payer.pk}/change/",
        payer_form(payer, name="Ultha co-operative", expected_validity_from=posted),
    )
    (error,) = form_errors(response)["__all__"]
    message = (
        f"The version this form was opened on ({posted!r}) is not a time with a zone such "
        "as 2026-01-31T08:15:42.123456+00:00: reload the page and make your change again."
    )
    assert error == ("INVALID_VERSION", message)
    assert snapshot() == before
    # the delete confirmation's alike
    response = admin.post(
        f"{PAYERS}{payer.pk}/delete/",
        {"post": "yes", "expected_validity_from": posted},
        follow=True,
    )
    assert page_messages(response) == [f"Not deleted: {message}"]
    assert snapshot() == before


# -- the version the delete confirmation was opened on ------------------------------------


def confirmed_version(client, url: str) -> str:
    """The version the delete confirmation at ``url`` carries in its form (as rendered)."""
    content = client.get(url).content.decode()
    form = content[content.index('<form method="post">') :]
    (value,) = re.findall(
        r'<input type="hidden" name="expected_validity_from" value="([^"]*)"', form
    )
    return value


def test_a_delete_after_another_change_is_refused_and_writes_nothing(admin, tree):
    """Open the delete confirmation, another client changes the payer, then confirm:
    refused, nothing written (the change page shows the current version)."""
    payer = Payer.objects.get(name="Ultha co-op")
    url = f"{PAYERS}{payer.pk}/delete/"
    opened = confirmed_version(admin, url)
    assert opened == payer.validity_from.isoformat()
    change_elsewhere(payer)
    before, entries = snapshot(), LogEntry.objects.count()
    response = admin.post(url, {"post": "yes", "expected_validity_from": opened}, follow=True)
    assert response.redirect_chain[0][0] == f"{PAYERS}{payer.pk}/change/"
    current = fresh(payer)
    assert page_messages(response) == [
        f"Not deleted: This payer was changed since you opened it: you opened the version "
        f"valid from {opened}, the current one is valid from "
        f"{current.validity_from.isoformat()}. Nothing was deleted: look at the current "
        "values, then delete it again if you still mean to."
    ]
    assert snapshot() == before
    assert LogEntry.objects.count() == entries
    # Opened again, the confirmation carries the new version, and the delete goes through.
    response = admin.post(
        url, {"post": "yes", "expected_validity_from": confirmed_version(admin, url)}
    )
    assert response.status_code == 302
    assert fresh(payer).validity_to is not None


def test_a_location_delete_after_another_change_is_refused(admin, tree):
    rachla = tree["v1"]
    url = f"{LOCATIONS}{rachla.pk}/delete/"
    opened = confirmed_version(admin, url)
    admin.post(f"{LOCATIONS}{rachla.pk}/change/", location_form(rachla, families=40))
    admin.get(f"{LOCATIONS}{rachla.pk}/change/")  # its "changed successfully" is shown
    before = snapshot()
    response = admin.post(url, {"post": "yes", "expected_validity_from": opened}, follow=True)
    (message,) = page_messages(response)
    assert message.startswith("Not deleted: This location was changed since you opened it")
    assert snapshot() == before


# -- one row lock per write ----------------------------------------------------------------


@pytest.fixture
def locks(monkeypatch) -> list:
    """The uuids of the rows locked for a write (``versioning.lock_current``), in order."""
    taken = []
    lock = versioning.lock_current

    def counted(model, key, **options):
        taken.append(key)
        return lock(model, key, **options)

    monkeypatch.setattr(versioning, "lock_current", counted)
    return taken


@pytest.mark.parametrize(
    ("page", "row", "data"),
    [
        ("change", "w1", lambda achi, tree: location_form(achi, name="Achi Thom")),
        ("change", "w1", lambda achi, tree: location_form(achi, parent=tree["d2"].pk)),
        ("change", "w1", lambda achi, tree: location_form(achi)),  # nothing to change
        ("change", "payer", lambda payer, tree: payer_form(payer, name="Ultha co-operative")),
        ("change", "payer", lambda payer, tree: payer_form(payer)),
        ("delete", "v1", lambda rachla, tree: {"post": "yes"}),
        ("delete", "payer", lambda payer, tree: {"post": "yes"}),
    ],
    ids=[
        "update",
        "move",
        "location-unchanged",
        "payer",
        "payer-unchanged",
        "delete",
        "delete-payer",
    ],
)
def test_a_write_with_its_opened_version_locks_the_row_once(admin, tree, locks, page, row, data):
    target = Payer.objects.get(name="Ultha co-op") if row == "payer" else tree[row]
    url = f"{PAYERS if row == 'payer' else LOCATIONS}{target.pk}/{page}/"
    opened = (opened_version if page == "change" else confirmed_version)(admin, url)

    response = admin.post(url, {**data(target, tree), "expected_validity_from": opened})

    assert response.status_code == 302, form_errors(response)
    assert locks == [target.uuid]


def test_a_save_without_changes_of_a_changed_row_is_refused(admin, tree):
    """Nothing to write, but the form was opened on an older version: refused as a save
    with changes is, the page showing the current values to be looked at again."""
    payer = Payer.objects.get(name="Ultha co-op")
    url = f"{PAYERS}{payer.pk}/change/"
    opened = opened_version(admin, url)
    change_elsewhere(payer)
    before = snapshot()

    response = admin.post(url, {**payer_form(fresh(payer)), "expected_validity_from": opened})

    assert [c for c, _ in form_errors(response)["__all__"]] == ["STALE_VERSION"]
    assert snapshot() == before
