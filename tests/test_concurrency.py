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


@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_keep_both_histories():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    user = User.objects.create_superuser("editor", password=None)
    location = Location.objects.create(code="R1", name="Original", type="R")
    a_has_lock = threading.Event()
    failures: list[BaseException] = []

    def writer(name: str, hold: float, signal: threading.Event | None) -> None:
        try:
            with transaction.atomic():
                services.update_location(location.uuid, {"name": name}, user=user)
                if signal:
                    signal.set()
                time.sleep(hold)  # keep the row locked: B must wait for this commit
        except BaseException as error:  # reported to the test thread
            failures.append(error)
        finally:
            connections.close_all()

    a = threading.Thread(target=writer, args=("A", 1.0, a_has_lock))
    a.start()
    assert a_has_lock.wait(10)
    b = threading.Thread(target=writer, args=("B", 0, None))
    started = time.monotonic()
    b.start()
    a.join(20)
    b.join(20)
    assert not failures, failures
    assert time.monotonic() - started >= 0.5  # B waited for A's lock
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
    child_pending = threading.Event()
    outcomes: dict[str, object] = {}

    def create_child() -> None:
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
        finally:
            connections.close_all()

    def delete_district() -> None:
        try:
            services.delete_location(district.uuid, user=user)
            outcomes["delete"] = "ok"
        except ValidationFailed as failure:
            outcomes["delete"] = [e.code for e in failure.errors]
        except BaseException as error:
            outcomes["delete"] = error
        finally:
            connections.close_all()

    creator = threading.Thread(target=create_child)
    creator.start()
    assert child_pending.wait(10)
    deleter = threading.Thread(target=delete_district)
    deleter.start()
    creator.join(20)
    deleter.join(20)
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
    deleting = threading.Event()
    outcome: dict[str, object] = {}

    def delete() -> None:
        try:
            with transaction.atomic():
                services.delete_location(district.uuid, descendants=True, user=user)
                deleting.set()
                time.sleep(1.0)  # hold the subtree's locks
        finally:
            connections.close_all()

    def create() -> None:
        try:
            services.create_location(
                {"code": "R1D1W1V1", "name": "Rachla", "type": "V"}, parent=ward.uuid, user=user
            )
            outcome["create"] = "written"
        except ValidationFailed as failure:
            outcome["create"] = [(e.field, e.code) for e in failure.errors]
        finally:
            connections.close_all()

    a = threading.Thread(target=delete)
    a.start()
    assert deleting.wait(10)
    b = threading.Thread(target=create)
    b.start()
    a.join(20)
    b.join(20)
    assert outcome["create"] == [("parent", "NOT_CURRENT")]
    assert not Location.objects.current().filter(code__startswith="R1D1").exists()
