"""Reproducible demo payers spread over the current regions and districts.

:func:`generate` turns a seed, a count and a list of places (current REGION and DISTRICT
locations) into payer specifications, without touching the database; :func:`create`
reads the places, generates and inserts the payers that are not there yet.

Reproducibility. Payer ``i`` of seed ``s`` has the uuid ``uuid5(NAMESPACE, "s:i")`` and
every random choice comes from one ``random.Random(s)`` stream consumed payer by payer,
so for the same seed and the same places a run yields the same payers (uuid, type,
name, address, phone, e-mail, location) on any database, and ``--count 600`` yields the
500 payers of ``--count 500`` plus 100 more. A payer whose uuid is already in the
database is skipped, so a rerun creates nothing.

The location model is taken from the app registry (``"location.Location"``): this
module does not import the location module's code.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from backend.registry import lookup

from ..models import Payer

#: Namespace of the generated payers' uuids: uuid5(NAMESPACE, "<seed>:<index>").
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://openimis.org/demo/payers")

#: The two levels a payer belongs to (openIMIS tblPayer: a region or a district).
REGION, DISTRICT = "region", "district"
NAME_MAX = Payer._meta.get_field("name").max_length
ADDRESS_MAX = Payer._meta.get_field("address").max_length
EMAIL_MAX = Payer._meta.get_field("email").max_length

#: Payer types in the order payers cycle through them (payer i has TYPES[i % 6]).
TYPES: tuple[str, ...] = tuple(Payer.Type.values)

#: Per payer type: (level of the location, name template). ``{district}``: the district's
#: name, ``{province}``: the region's name (or the district's region), ``{n}``: a number
#: counting the uses of that template.
TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    Payer.Type.COOPERATIVE: (
        (DISTRICT, "{district} Rice Farmers Co-operative"),
        (DISTRICT, "{district} Fishing Community Co-operative"),
        (DISTRICT, "{district} Cashew Growers Co-operative"),
        (DISTRICT, "{district} Rubber Smallholders Co-operative"),
        (DISTRICT, "{district} Women's Savings Co-operative"),
        (REGION, "{province} Pepper Growers Co-operative"),
    ),
    Payer.Type.DONOR: (
        (REGION, "Health Equity Fund {n}"),
        (REGION, "Social Health Protection Trust {n}"),
        (REGION, "Maternal and Child Health Grant {n}"),
        (DISTRICT, "Community Health Donor Fund {n}"),
    ),
    Payer.Type.GOVERNMENT: (
        (REGION, "{province} Provincial Health Department"),
        (REGION, "{province} Provincial Department of Labour and Vocational Training"),
        (DISTRICT, "{district} Operational District Health Office"),
        (DISTRICT, "{district} District Education Office"),
    ),
    Payer.Type.LOCAL_AUTHORITY: (
        (REGION, "{province} Provincial Administration"),
        (DISTRICT, "{district} District Administration"),
        (DISTRICT, "{district} District Council"),
    ),
    Payer.Type.OTHER: (
        (REGION, "{province} Red Cross Branch"),
        (REGION, "{province} Chamber of Commerce"),
        (DISTRICT, "{district} Pagoda Committee"),
        (DISTRICT, "{district} Community Health Volunteers Association"),
    ),
    Payer.Type.PRIVATE_ORGANIZATION: (
        (REGION, "{province} Rubber Plantation Co., Ltd."),
        (DISTRICT, "{district} Garment Factory Co., Ltd."),
        (DISTRICT, "{district} Rice Mill Co., Ltd."),
        (DISTRICT, "{district} Microfinance Plc."),
        (DISTRICT, "{district} Brick Works Co., Ltd."),
    ),
}

#: E-mail domain suffix per payer type.
DOMAINS = {
    Payer.Type.COOPERATIVE: "org.kh",
    Payer.Type.DONOR: "org",
    Payer.Type.GOVERNMENT: "gov.kh",
    Payer.Type.LOCAL_AUTHORITY: "gov.kh",
    Payer.Type.OTHER: "org.kh",
    Payer.Type.PRIVATE_ORGANIZATION: "com.kh",
}


@dataclass(frozen=True)
class Place:
    """A current region or district a payer can belong to.

    ``province`` is the region's own name for a region, the parent region's name for a
    district (empty when it has none).
    """

    pk: int
    code: str
    name: str
    type: str
    province: str


@dataclass(frozen=True)
class PayerSpec:
    """One generated payer: the values of a :class:`~modules.payer.models.Payer` row."""

    uuid: uuid.UUID
    type: str
    name: str
    address: str
    phone: str
    fax: str
    email: str
    location: Place

    def values(self) -> dict:
        """The spec as keyword arguments of :class:`~modules.payer.models.Payer`: its
        fields, the place as ``location_id``."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "location"}
        return {**values, "location_id": self.location.pk}


def payer_uuid(seed: int, index: int) -> uuid.UUID:
    """The uuid of payer ``index`` (0-based) generated with ``seed``."""
    return uuid.uuid5(NAMESPACE, f"{seed}:{index}")


def places() -> list[Place]:
    """The current REGION and DISTRICT locations, regions first, each level by code."""
    locations = apps.get_model("location", "Location").objects.current()
    at_depth = lookup("location.at_depth")
    found = []
    for depth, level in enumerate((REGION, DISTRICT)):
        rows = (
            locations.filter(at_depth("", [depth]))
            .order_by("code", "pk")
            .values_list("pk", "code", "name", "parent__name")
        )
        found += [
            Place(pk, code, name, level, name if level == REGION else parent_name or "")
            for pk, code, name, parent_name in rows
        ]
    return found


def _cycle(items: list[Place]) -> Iterator[Place]:
    while True:
        yield from items


def generate(places: Sequence[Place], count: int, seed: int) -> list[PayerSpec]:
    """``count`` payers for ``seed``, spread round-robin over ``places``.

    Each payer goes to a region with the probability of the regions' share of the
    places, else to a district; the places of a level are taken round-robin in a
    seeded order, so every place gets about ``count / len(places)`` payers.
    ``places`` must hold a region or a district (``ValueError`` otherwise); their order
    matters (use :func:`places`). Templates of a level that has no place use the other
    level's places. Types cycle through
    :data:`TYPES`, so ``count >= 6`` gives all six. Names are unique within the result:
    when a template gives a name already used, the next template of that type and level
    is tried, then ``" No. <k>"`` is appended.
    """
    regions = [p for p in places if p.type == REGION]
    districts = [p for p in places if p.type == DISTRICT]
    if not regions and not districts:
        raise ValueError("there is no current region or district")
    rng = random.Random(seed)
    rng.shuffle(regions)
    rng.shuffle(districts)
    # With one level missing, its templates use the other level's places.
    cursors = {
        REGION: _cycle(regions or districts),
        DISTRICT: _cycle(districts or regions),
    }
    region_share = len(regions) / (len(regions) + len(districts))
    used_names: set[str] = set()
    uses: dict[str, int] = {}
    result = []
    for index in range(count):
        type_ = TYPES[index % len(TYPES)]
        # A region is picked as often as its share of the places: payers spread evenly.
        level = REGION if rng.random() < region_share else DISTRICT
        place = next(cursors[level])
        same_level = [t for lv, t in TEMPLATES[type_] if lv == level]
        start = rng.randrange(len(same_level))
        name = ""
        for template in same_level[start:] + same_level[:start]:
            uses[template] = uses.get(template, 0) + ("{n}" in template)
            name = template.format(district=place.name, province=place.province, n=uses[template])
            if name not in used_names:
                break
        base, k = name, 2
        while name in used_names:
            name, k = f"{base} No. {k}", k + 1
        used_names.add(name)
        result.append(
            PayerSpec(
                uuid=payer_uuid(seed, index),
                type=type_,
                name=name,
                address=_address(rng, place),
                phone=_phone(rng),
                fax=_phone(rng) if rng.random() < 0.3 else "",
                email=_email(rng, name, type_) if rng.random() < 0.75 else "",
                location=place,
            )
        )
    return result


def _address(rng: random.Random, place: Place) -> str:
    """A multi-line postal address of at most ADDRESS_MAX characters."""
    street = f"No. {rng.randint(1, 399)}, Street {rng.randint(1, 999)}"
    lines = [street]
    if place.type == DISTRICT:
        lines.append(f"{place.name} District")
    if place.province:
        lines.append(place.province)
    lines.append("Cambodia")
    # Drop the least useful lines until it fits: the country, then the district.
    for drop in ("Cambodia", f"{place.name} District"):
        if len("\n".join(lines)) <= ADDRESS_MAX:
            break
        if drop in lines[1:]:
            lines.remove(drop)
    return "\n".join(lines)[:ADDRESS_MAX]


def _phone(rng: random.Random) -> str:
    """A Phnom Penh landline: ``+855 23 xxx xxx``."""
    return f"+855 23 {rng.randint(200, 999)} {rng.randint(0, 999):03d}"


def _email(rng: random.Random, name: str, type_: str) -> str:
    """``<mailbox>@<initials of the name>.<domain of the type>``, at most EMAIL_MAX."""
    words = name.replace("-", " ").split()
    initials = "".join(w if w.isdigit() else w[0] for w in words if w[0].isalnum()).lower()
    mailbox = rng.choice(("info", "contact", "admin", "finance"))
    return f"{mailbox}@{initials[:20] or 'payer'}.{DOMAINS[type_]}"[:EMAIL_MAX]


@dataclass(frozen=True)
class CreateResult:
    """What :func:`create` did: payers generated, inserted, and skipped as present."""

    generated: int
    created: int
    present: int
    payers: list[PayerSpec]


def create(*, count: int = 500, seed: int = 42, batch_size: int = 500) -> CreateResult:
    """Generate ``count`` payers for ``seed`` and insert those not yet in the database.

    Payers are current rows (``validity_to`` NULL) created in one transaction; a payer
    whose uuid already exists (current or not) is skipped. Raises ``ValueError`` when
    there is no current region nor district.
    """
    specs = generate(places(), count, seed)
    now = timezone.now()
    with transaction.atomic():
        existing: set[uuid.UUID] = set()
        wanted = [s.uuid for s in specs]
        for start in range(0, len(wanted), 500):
            existing.update(
                Payer.objects.filter(uuid__in=wanted[start : start + 500]).values_list(
                    "uuid", flat=True
                )
            )
        new = [Payer(**s.values(), validity_from=now) for s in specs if s.uuid not in existing]
        Payer.objects.bulk_create(new, batch_size=batch_size)
    return CreateResult(len(specs), len(new), len(specs) - len(new), specs)
