"""``generate_payers``: reproducible demo payers over the current regions and districts.

The locations are made here through the app registry (``"location.Location"``): the
payer module, tests included, does not import the location module.
"""

from __future__ import annotations

import io
import uuid
from collections import Counter

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from modules.payer.models import Payer

PROVINCES = ["Siemreap", "Battambang", "Kampot", "Phnom Penh", "Mondul Kiri"]


@pytest.fixture
def locations():
    """5 regions with 4 districts each, plus rows payers must not use."""
    location = apps.get_model("location", "Location")
    for p, province in enumerate(PROVINCES, start=1):
        region = location.objects.create(code=f"{p:02d}", name=province, type="R")
        for d in range(1, 5):
            location.objects.create(
                code=f"{p:02d}{d:02d}", name=f"{province} District {d}", type="D", parent=region
            )
    district = location.objects.get(code="0101")
    location.objects.create(code="010101", name="A commune", type="W", parent=district)
    location.objects.create(
        code="0199",
        name="Former district",
        type="D",
        parent=district.parent,
        validity_to=timezone.now(),
    )
    return location


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_payers", *args, stdout=out)
    return out.getvalue()


def payer_rows() -> list[tuple[uuid.UUID, str, str, str]]:
    return list(
        Payer.objects.order_by("uuid").values_list("uuid", "type", "name", "location__code")
    )


@pytest.mark.django_db
def test_default_run(locations):
    output = generate()

    payers = list(Payer.objects.select_related("location"))
    assert len(payers) == 500
    assert "500 created, 0 already present" in output
    assert Counter(p.type for p in payers) == {t: 500 // 6 + (t in "CD") for t in "CDGLOP"}
    for p in payers:
        assert p.validity_to is None
        assert p.location.validity_to is None
        assert p.location.type in ("R", "D")
        assert len(p.name) <= 100
        assert p.address and len(p.address) <= 100 and "\n" in p.address
        assert p.phone and len(p.phone) <= 50 and p.phone.startswith("+855 23 ")
        assert p.email == "" or (len(p.email) <= 50 and "@" in p.email)
        assert p.fax is not None and len(p.fax) <= 50
    # Spread: all 25 current regions and districts are used, none by a history row.
    codes = Counter(p.location.code for p in payers)
    assert len(codes) == 25
    assert "0199" not in codes
    assert max(codes.values()) - min(codes.values()) <= 12
    # Names are unique and realistic.
    assert len({p.name for p in payers}) == 500
    names = [p.name for p in payers]
    assert any(n.endswith(" Provincial Health Department") for n in names)
    assert any(n.startswith("Health Equity Fund ") for n in names)
    assert any(n.endswith(" Co-operative") for n in names)
    # uuids are uuid5 of a fixed namespace and "<seed>:<index>".
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "https://openimis.org/demo/payers")
    assert {p.uuid for p in payers} == {uuid.uuid5(namespace, f"42:{i}") for i in range(500)}


@pytest.mark.django_db
def test_same_seed_same_payers_and_rerun_adds_nothing(locations):
    generate("--count", "60")
    first = payer_rows()

    # A rerun creates nothing.
    output = generate("--count", "60")
    assert "0 created, 60 already present" in output
    assert payer_rows() == first

    # Rows deleted and generated again: the very same payers.
    Payer.objects.all().delete()
    generate("--count", "60")
    assert payer_rows() == first

    # A larger count keeps the first payers and adds the rest.
    output = generate("--count", "80")
    assert "20 created, 60 already present" in output
    assert set(first) < set(payer_rows())

    # Another seed gives other payers.
    Payer.objects.all().delete()
    generate("--count", "60", "--seed", "7")
    other = payer_rows()
    assert len(other) == 60
    assert {r[0] for r in other}.isdisjoint(r[0] for r in first)
    assert [r[2] for r in other] != [r[2] for r in first]


@pytest.mark.django_db
def test_refuses_without_locations():
    with pytest.raises(CommandError, match="load_cambodia"):
        generate()
    assert not Payer.objects.exists()


@pytest.mark.django_db
def test_only_history_locations_are_not_enough(locations):
    locations.objects.filter(type__in=["R", "D"]).update(validity_to=timezone.now())
    with pytest.raises(CommandError, match="no current region or district"):
        generate("--count", "5")
