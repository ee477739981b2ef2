"""Two concurrent updates of one location never lose either change's history (PostgreSQL).

Given a location, when transaction A changes it and holds its lock while transaction B
(a second database connection) changes it too, then B waits for A, and the history
holds both earlier states: the original (stored by A) and A's (stored by B).
"""

import threading
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections, transaction

from backend.errors import ValidationFailed
from modules.location import services
from modules.location.models import Location


def one_after_the_other(first, second) -> None:
    """Run ``first(holding)`` in a thread until it sets the event ``holding`` (it then
    holds its row locks), then ``second()`` in another thread; wait for both (20 s
    each). Each thread closes its database connections when it ends."""
    holding = threading.Event()

    def thread(target, *args) -> threading.Thread:
        def run() -> None:
            try:
                target(*args)
            finally:
                connections.close_all()

        return threading.Thread(target=run)

    a = thread(first, holding)
    a.start()
    assert holding.wait(10)
    b = thread(second)
    b.start()
    a.join(20)
    b.join(20)


@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_keep_both_histories():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    user = User.objects.create_superuser("editor", password=None)
    location = Location.objects.create(code="R1", name="Original", type="R")
    failures: list[BaseException] = []
    waited: dict[str, float] = {}

    def writer(name: str, hold: float, signal: threading.Event | None = None) -> None:
        try:
            with transaction.atomic():
                started = time.monotonic()
                services.update_location(location.uuid, {"name": name}, user=user)
                waited[name] = time.monotonic() - started
                if signal:
                    signal.set()
                time.sleep(hold)  # keep the row locked: B must wait for this commit
        except BaseException as error:  # reported to the test thread
            failures.append(error)

    one_after_the_other(lambda holding: writer("A", 1.0, holding), lambda: writer("B", 0))
    assert not failures, failures
    assert waited["B"] >= 0.5  # B's update waited for A's lock
    current = Location.objects.get(pk=location.pk)
    history = Location.objects.filter(legacy=location).order_by("validity_to")
    assert current.name == "B"
    assert [h.name for h in history] == ["Original", "A"]
    assert history[1].validity_to == current.validity_from


@pytest.mark.django_db(transaction=True)
def test_a_delete_waits_for_a_child_being_created():
    """Given a district, when one connection creates a municipality under it and holds
    its transaction while another deletes the district, then the delete waits and is
    refused (HAS_CHILDREN): a deleted location never keeps current children."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    user = User.objects.create_superuser("editor", password=None)
    region = Location.objects.create(code="R1", name="Ultha", type="R")
    district = Location.objects.create(code="R1D9", name="New", type="D", parent=region)
    outcomes: dict[str, object] = {}

    def create_child(child_pending: threading.Event) -> None:
        try:
            with transaction.atomic():
                services.create_location(
                    {"code": "R1D9M1", "name": "Child", "type": "W"},
                    parent=district.uuid,
                    user=user,
                )
                child_pending.set()
                time.sleep(1.0)
            outcomes["create"] = "ok"
        except BaseException as error:
            outcomes["create"] = error

    def delete_district() -> None:
        try:
            services.delete_location(district.uuid, user=user)
            outcomes["delete"] = "ok"
        except ValidationFailed as failure:
            outcomes["delete"] = [e.code for e in failure.errors]
        except BaseException as error:
            outcomes["delete"] = error

    one_after_the_other(create_child, delete_district)
    assert outcomes == {"create": "ok", "delete": ["HAS_CHILDREN"]}
    assert Location.objects.get(pk=district.pk).validity_to is None


@pytest.mark.django_db(transaction=True)
def test_a_village_created_under_a_subtree_being_deleted_is_refused():
    """Given a district being deleted with its subtree (deleteLocation descendants, its
    rows locked), when another connection creates a village under one of its
    municipalities, then the create waits for the delete and is refused (its parent is
    no longer current): no current location is left below a deleted one."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    user = User.objects.create_superuser("editor", password=None)
    region = Location.objects.create(code="R1", name="Ultha", type="R")
    district = Location.objects.create(code="R1D1", name="Rapta", type="D", parent=region)
    ward = Location.objects.create(code="R1D1W1", name="Achi", type="W", parent=district)
    outcome: dict[str, object] = {}

    def delete(deleting: threading.Event) -> None:
        with transaction.atomic():
            services.delete_location(district.uuid, descendants=True, user=user)
            deleting.set()
            time.sleep(1.0)  # hold the subtree's locks

    def create() -> None:
        try:
            services.create_location(
                {"code": "R1D1W1V1", "name": "Rachla", "type": "V"}, parent=ward.uuid, user=user
            )
            outcome["create"] = "written"
        except ValidationFailed as failure:
            outcome["create"] = [(e.field, e.code) for e in failure.errors]

    one_after_the_other(delete, create)
    assert outcome["create"] == [("parent", "NOT_CURRENT")]
    assert not Location.objects.current().filter(code__startswith="R1D1").exists()
