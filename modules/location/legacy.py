"""Import of the legacy openIMIS table ``tblLocations`` into :class:`Location`.

Read by ``manage.py import_legacy`` (see ``backend/legacy/tables.py`` for the contract). Rules,
from the openIMIS demo export (``shared/data/openimis-demo/README.md``) and the legacy
schema of ``tblLocations``:

- LocationId is kept as the primary key, so ParentLocationId, LegacyId and the payers'
  LocationId keep pointing at the right rows; LocationUUID is kept as ``uuid`` (a row
  without one gets one, see ``backend.legacy.versions.check_versions``).
- LocationType is R region, D district, W municipality (ward) or V village; a region has
  no parent, the parent of a district is a region, of a municipality a district, of a
  village a municipality. This holds for history rows too, as of the parent they name.
- Every row meets the rules the location service applies to a write
  (:func:`.services.validate`: required values, lengths, no control or text-direction
  character, counts, the parent's level, a current parent), so an imported row can be
  edited afterwards; a broken rule refuses the row with the service's message after the
  column ("LocationName: The name contains U+202E (RIGHT-TO-LEFT OVERRIDE), …"). A
  history row's parent need not be current now (it was when the version was).
- LocationCode (at most 8 characters) and LocationName (at most 50) are required; no two
  current rows (ValidityTo empty) share a code. Codes follow the one rule for codes
  (``normalize_code``: surrounding white space removed, as ``createLocation`` stores them)
  and are compared case-insensitively, as openIMIS on SQL Server and the database's unique
  constraint on current codes compare them. Names lose their surrounding white space too,
  as ``createLocation`` and ``updateLocation`` store them; each value changed so is
  counted in the run's summary (``trims`` of ``backend.legacy.parsing.parse_rows``); the
  length limits hold for the values as stored.
- History rows (ValidityTo set) are kept, with LegacyId naming their current row.

Each column is read as the model field it maps to in ``FIELDS`` (type, length limit,
codes, whether NULL is allowed; see ``backend.legacy.parsing.reading``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from backend import casefold
from backend.legacy import (
    LegacyContext,
    LegacyRow,
    LegacyTable,
    LoadCounts,
    Plan,
    Rejection,
    parse_versioned,
    rule_rejections,
    save_by_id,
)

from . import services
from .models import Location, compute_paths, normalize_code, rebuild_paths

MODEL = "location.Location"
#: Legacy column -> Location attribute, in the legacy column order.
FIELDS = {
    "LocationId": "id",
    "LocationUUID": "uuid",
    "LocationCode": "code",
    "LocationName": "name",
    "ParentLocationId": "parent_id",
    "LocationType": "type",
    "ValidityFrom": "validity_from",
    "ValidityTo": "validity_to",
    "LegacyId": "legacy_id",
    "AuditUserId": "legacy_audit_user_id",
    "MalePopulation": "male_population",
    "FemalePopulation": "female_population",
    "OtherPopulation": "other_population",
    "Families": "families",
}
COLUMNS = tuple(FIELDS)
#: How the texts are stored, as ``createLocation`` and ``updateLocation`` store them.
TRIMS = {"LocationCode": normalize_code, "LocationName": str.strip}
_LEVEL = {t: rank for rank, t in enumerate(Location.PARENT_TYPE)}  # R 0, D 1, W 2, V 3


def _code_key(code: str) -> str:
    """The key under which two current codes clash: ``normalize_code``, case folded by
    the unique index's rule (:func:`backend.casefold.upper`: é = É, ß is not SS)."""
    return casefold.upper(normalize_code(code))


def _taken(code: str, existing: str, owner: str) -> str:
    """Why a current row's LocationCode is refused: the code ``owner`` has (the same
    ignoring case) quoted as it is there."""
    if existing == code:
        return f"LocationCode {code!r} is already the code of {owner}"
    return f"LocationCode {code!r} is taken ignoring case: {owner} has the code {existing!r}"


def validate(
    rows: Iterable[LegacyRow], context: LegacyContext
) -> tuple[list[Location], list[Rejection]]:
    """``tblLocations`` rows -> (unsaved Locations, parents first; every rejection).

    Checks each row's values, the identity and history rules (``parse_versioned``),
    that the parent is known (in the file or the database), every rule of the location
    service (:func:`~.services.validate`, as a write checks it: required values, lengths,
    characters, counts, the parent's level and that it is current; a history row's
    parent need not be current now) with the parent as the file or the database has it,
    and that current codes are unique, counting the current database rows the file does
    not replace.
    """
    items, rejections = parse_versioned(rows, context, MODEL, FIELDS, TRIMS)
    file_ids = context.ids[MODEL]
    # the rows a parent id may name: the database's, unless the file replaces them
    known: dict[int, Location] = {}
    # by the code's case-insensitive key: who has it, and its code as written there
    code_owner: dict[str, tuple[str, str]] = {}
    for pk, type_, code, name, validity_to in Location.objects.values_list(
        "pk", "type", "code", "name", "validity_to"
    ):
        if pk not in file_ids:  # a row of the file replaces the database row of its id
            known[pk] = Location(pk=pk, type=type_, code=code, name=name, validity_to=validity_to)
            if validity_to is None:
                owner = f"current location id {pk} in the database"
                code_owner[_code_key(code)] = (owner, normalize_code(code))
    known.update(context.objects[MODEL])

    for row, obj in items:
        parent = obj.parent_id
        if parent is not None and parent not in known and parent not in file_ids:
            rejections.append(row.reject(f"ParentLocationId {parent} names no location"))
        # a parent of the file refused on its own: its children are refused as dependents
        related = {
            "parent": ... if parent is not None and parent not in known else known.get(parent)
        }
        rules = partial(services.validate, history=obj.validity_to is not None, check_code=False)
        rejections += rule_rejections(row, obj, rules, FIELDS, related)
        if obj.validity_to is None:
            key = _code_key(obj.code)
            if key in code_owner:
                owner, existing = code_owner[key]
                rejections.append(row.reject(_taken(obj.code, existing, owner)))
            else:
                code_owner[key] = (f"the current row at {row.position}", obj.code)

    objects = sorted((obj for _row, obj in items), key=lambda o: (_LEVEL[o.type], o.pk))
    return objects, rejections


def check_hierarchy() -> list[str]:
    """The current hierarchy after an import: each current location's parent is current
    and one level up (a region has none). Catches a file that retypes or retires a row
    other rows still hang on. Returns one message per offending location (at most 20)."""
    problems = []
    current = Location.objects.current()
    for row in current.filter(parent__validity_to__isnull=False).select_related("parent")[:20]:
        problems.append(f"current {row} (id {row.pk}) hangs under history row id {row.parent_id}")
    for level, parent_level in Location.PARENT_TYPE.items():
        rows = current.filter(type=level)
        wrong = (
            rows.exclude(parent=None)
            if parent_level is None
            else rows.exclude(parent__type=parent_level)
        )
        for row in wrong.select_related("parent")[:20]:
            problems.append(
                f"current {Location.Type(level).label.lower()} {row} (id {row.pk}) has "
                f"parent {row.parent or 'none'}, not a {Location.Type(parent_level).label.lower()}"
                if parent_level
                else f"current region {row} (id {row.pk}) has a parent ({row.parent})"
            )
    return problems[:20]


def load(objects: list[Location], plan: Plan) -> LoadCounts:
    """Give the rows their materialised paths (the bulk save bypasses
    ``Location.save()``), save them by legacy id as ``plan`` decided
    (:func:`backend.legacy.save_by_id`), then bring the paths of rows not in the file in
    line (descendants of a moved row)."""
    links = {
        pk: (parent_id, key)
        for pk, parent_id, key in Location.objects.values_list("pk", "parent_id", "uuid")
    }
    links.update({o.pk: (o.parent_id, o.uuid) for o in objects})
    paths = compute_paths(links)
    for location in objects:
        location.path = paths[location.pk]
    counts = save_by_id(objects, plan)
    rebuild_paths()
    return counts


tables = (
    LegacyTable(
        name="tblLocations",
        option="locations",
        model=MODEL,
        fields=FIELDS,
        validate=validate,
        load=load,
        check=check_hierarchy,
    ),
)
