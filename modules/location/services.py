"""Writes to the location hierarchy: the one code path for GraphQL mutations and the admin.

Rules (openIMIS ``tblLocations`` and the location module's issue):

- ``code`` is required, at most 8 characters, unique among current locations (ignoring
  case, as openIMIS on SQL Server does);
- ``name`` is required, at most 50 characters;
- a REGION has no parent, a DISTRICT's parent is a REGION, a MUNICIPALITY's a DISTRICT,
  a VILLAGE's a MUNICIPALITY, and the parent is a current location;
- population and family counts are whole numbers, not negative, at most 2**31 - 1;
- creating or changing a REGION or DISTRICT also needs ``location.manage_upper_levels``
  (openIMIS keeps that right apart), checked after the district rights: a write outside
  the user's districts is refused as such (``OutsideDistricts``), not as a missing
  permission that would not let it through either;
- district rights (:mod:`backend.rights`; the rule: ``lookups.in_scope_of``): a user
  without the global right changes only locations in or below their districts, and
  creates, moves or re-homes children only under such a location (a region is never
  theirs); refused with ``OutsideDistricts`` (``PermissionDenied``); a location the
  user may not read at all, named anywhere in the input, is ``NOT_FOUND``, as an
  unknown uuid (:func:`backend.rights.resolve`);
- every change keeps history (:mod:`backend.versioning`); a delete is refused while the
  location has current children (unless they get a new parent of the right level, or
  are deleted with it) or while another module objects (the payer module: current
  payers, unless the caller has them deleted or reassigned).

Text fields refuse control characters (``INVALID_CHARACTER``, :mod:`backend.text`).

Error codes: ``REQUIRED``, ``TOO_LONG``, ``DUPLICATE``, ``NEGATIVE``, ``TOO_LARGE``, ``NOT_FOUND``,
``NOT_CURRENT``, ``PARENT_NOT_ALLOWED``, ``PARENT_REQUIRED``, ``WRONG_PARENT_LEVEL``,
``HAS_CHILDREN``, ``CYCLE``, ``CONFLICT``, ``NOT_ALLOWED``, ``IN_DELETED_SUBTREE``. Every
function runs in one transaction and raises :class:`ValidationFailed` (nothing written)
or ``PermissionDenied``.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr

from backend import concurrency, rights, versioning
from backend.errors import FieldError, ValidationFailed
from backend.permissions import require_permission
from backend.text import text_errors

from .models import (
    PATH_END,
    Location,
    current_code_holder,
    duplicate_code_message,
    normalize_code,
    subtree_q,
)

#: Permission needed, besides add/change/delete, to write a REGION or DISTRICT.
UPPER_LEVELS_PERMISSION = "location.manage_upper_levels"
UPPER_LEVELS = {Location.Type.REGION, Location.Type.DISTRICT}
#: Largest count a legacy int column holds (32 bits).
MAX_COUNT = 2**31 - 1
COUNT_FIELDS = {
    "male_population": "malePopulation",
    "female_population": "femalePopulation",
    "other_population": "otherPopulation",
    "families": "families",
}


def _check_level_permission(user, *types: str) -> None:
    if any(t in UPPER_LEVELS for t in types):
        require_permission(user, UPPER_LEVELS_PERMISSION, "create or change regions and districts")


def allowed_levels(may: Callable[[str], bool], permission: str, *, under: bool = False) -> Q | bool:
    """The locations a user may act on with ``permission`` (``may(permission)``: they hold
    it), by the level rule above: every level with :data:`UPPER_LEVELS_PERMISSION`,
    else municipalities and villages; ``under``: the locations under which they may
    create one (a village has no level below, a region's children are districts).
    False for none. District rights are not counted (:func:`backend.rights.scope`)."""
    if not may(permission):
        return False
    levels = set(Location.Type) - (set() if may(UPPER_LEVELS_PERMISSION) else UPPER_LEVELS)
    if under:
        levels = {Location.PARENT_TYPE[level] for level in levels} - {None}
    return Q(type__in=sorted(levels))


def resolve_location(parent_uuid: uuid.UUID | None, user, field: str = "parent") -> Location | None:
    """The location with this uuid as ``user`` sees it, locked for the transaction (FOR
    UPDATE): a concurrent delete of the parent waits for this write, or this write waits
    for the delete and then sees the parent no longer current. ``NOT_FOUND`` on
    ``field`` for a uuid no location has and for one the user may not read alike
    (:func:`backend.rights.resolve`)."""
    return rights.resolve(Location, parent_uuid, user, field=field, action="name a location")


def validate(
    location: Location, *, history: bool = False, check_code: bool = True
) -> list[FieldError]:
    """Every rule the unsaved state of ``location`` breaks ([] when it is valid).

    The legacy import checks every row with it too (``legacy.py``): ``history``: the row
    is a history version (ValidityTo set), whose parent need not be current now (the
    level rules still hold, as of the parent it names); ``check_code=False``: the caller
    checks that current codes are unique itself (the import: over its source and the
    database at once, by the same rule, :func:`~.models.current_code_holder`'s).
    """
    errors = []
    if location.type not in Location.PARENT_TYPE:
        return [FieldError("type", "REQUIRED", "The type (level) is required.")]
    for field, limit in (("code", 8), ("name", 50)):
        value = (getattr(location, field) or "").strip()
        if not value:
            errors.append(FieldError(field, "REQUIRED", f"The {field} is required."))
        elif len(value) > limit:
            errors.append(
                FieldError(
                    field,
                    "TOO_LONG",
                    f"The {field} has {len(value)} characters; at most {limit} are allowed.",
                )
            )
    errors += text_errors({"code": location.code, "name": location.name})
    code = normalize_code(location.code)
    # case-insensitive, as openIMIS on SQL Server (its collation) and the code filter
    existing = current_code_holder(code, exclude_pk=location.pk) if check_code else None
    if existing is not None:
        errors.append(_duplicate(code, existing))
    for attribute, field in COUNT_FIELDS.items():
        value = getattr(location, attribute)
        if value is not None and value < 0:
            errors.append(FieldError(field, "NEGATIVE", f"{field} cannot be negative ({value})."))
        elif value is not None and value > MAX_COUNT:
            errors.append(
                FieldError(field, "TOO_LARGE", f"{field} is at most {MAX_COUNT} ({value}).")
            )
    errors += _parent_errors(location, history=history)
    return errors


def _parent_errors(location: Location, *, history: bool = False) -> list[FieldError]:
    expected = Location.PARENT_TYPE.get(location.type)
    parent = location.parent
    label = Location.Type(location.type).label.lower() if location.type else "location"
    if expected is None:
        if parent is not None:
            return [FieldError("parent", "PARENT_NOT_ALLOWED", "A region has no parent.")]
        return []
    if parent is None:
        return [
            FieldError(
                "parent",
                "PARENT_REQUIRED",
                f"A {label} needs a parent {Location.Type(expected).label.lower()}.",
            )
        ]
    if parent.validity_to is not None and not history:
        return [
            FieldError(
                "parent", "NOT_CURRENT", f"The parent {parent} is a history version, not current."
            )
        ]
    if parent.type != expected:
        return [
            FieldError(
                "parent",
                "WRONG_PARENT_LEVEL",
                f"The parent of a {label} must be a {Location.Type(expected).label.lower()}, "
                f"not a {Location.Type(parent.type).label.lower()} ({parent}).",
            )
        ]
    if location.pk is not None and parent.pk == location.pk:
        return [FieldError("parent", "CYCLE", "A location cannot be its own parent.")]
    return []


def _duplicate(code: str, existing: str | None) -> FieldError:
    """DUPLICATE naming the code of the location that has it (``existing``)."""
    return FieldError("code", "DUPLICATE", duplicate_code_message(code, existing))


@contextmanager
def _unique_code(code: str, pk: int | None = None) -> Iterator[None]:
    """Turn a unique-code race lost to a concurrent transaction into DUPLICATE (naming
    the winner's code, which the statement after the rollback sees)."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        message = str(error)  # PostgreSQL names the constraint, SQLite the column
        if "location_current_code" not in message and ".code" not in message:
            raise
        existing = current_code_holder(code, exclude_pk=pk)
        raise ValidationFailed([_duplicate(code, existing)]) from error


@transaction.atomic
def create_location(data: Mapping[str, Any], *, parent: uuid.UUID | None, user) -> Location:
    """Create a current location.

    ``data``: model field values (``code``, ``name``, ``type`` as R/D/W/V, the counts);
    ``parent``: the parent's uuid or None; ``user``: the acting Django user (needs
    ``location.add_location``). Returns the saved row, read back from the database.
    """
    require_permission(user, "location.add_location", "create locations")
    location = Location(**data, parent=resolve_location(parent, user), audit_user_id=user.pk)
    rights.require_placeable(user, Location, location.parent)
    _check_level_permission(user, data.get("type"))
    location.code = normalize_code(location.code)
    location.name = (location.name or "").strip()
    errors = validate(location)
    if errors:
        raise ValidationFailed(errors)
    with _unique_code(location.code):
        location.save()
    return Location.objects.get(pk=location.pk)


@transaction.atomic
def update_location(
    key: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    user,
    expected_validity_from: datetime.datetime | None = None,
) -> Location:
    """Change fields of the current location ``key`` (uuid), keeping history.

    ``changes``: model field values to set; ``parent_id`` too (checked as in
    :func:`move_location`), so that a change of level and parent is one version. Needs
    ``location.change_location`` (and the upper-level right for a region or district).
    ``expected_validity_from``: the version the caller read; refused with
    :class:`~backend.concurrency.StaleVersion` when the location is no longer that
    version (None: not checked). Returns the saved row; with nothing to change, the
    row as it is (no history row).
    """
    require_permission(user, "location.change_location", "change locations")
    location = concurrency.lock_for_change(
        Location, key, user=user, expected=expected_validity_from
    )
    _check_level_permission(user, location.type, changes.get("type", location.type))
    candidate = Location.objects.get(pk=location.pk)
    for name, value in changes.items():
        if name == "code":
            value = normalize_code(value)
        setattr(candidate, name, value.strip() if isinstance(value, str) else value)
    errors = validate(candidate)
    errors += _children_errors(candidate)
    if errors:
        raise ValidationFailed(errors)
    changes = changes_of(location, candidate)
    if not changes:
        return location
    if "parent_id" in changes:
        rights.require_placeable(user, Location, candidate.parent)
        changes.update(_reparent(location, candidate.parent))
    with _unique_code(candidate.code, candidate.pk):
        return versioning.update(location, changes, user_id=user.pk)


def changes_of(before: Location, after: Location) -> dict[str, Any]:
    """The editable fields whose value differs between two states of a location."""
    names = ["code", "name", "type", "parent_id", *COUNT_FIELDS]
    return {n: getattr(after, n) for n in names if getattr(before, n) != getattr(after, n)}


def _children_errors(location: Location) -> list[FieldError]:
    """A type change must keep the current children's levels valid."""
    child_type = {v: k for k, v in Location.PARENT_TYPE.items() if v is not None}.get(location.type)
    wrong = Location.objects.current().filter(parent=location).exclude(type=child_type)
    if location.type and wrong.exists():
        return [
            FieldError(
                "type",
                "HAS_CHILDREN",
                f"{wrong.count()} current children would be at the wrong level under a "
                f"{Location.Type(location.type).label.lower()}; move them first.",
            )
        ]
    return []


@transaction.atomic
def move_location(
    key: uuid.UUID,
    parent: uuid.UUID | None,
    *,
    user,
    expected_validity_from: datetime.datetime | None = None,
) -> Location:
    """Give the current location ``key`` a new parent (checked as for a create).

    Needs ``location.change_location`` (and the upper-level right for a region or
    district). Keeps history. ``expected_validity_from``: as in
    :func:`update_location`. Returns the saved row; a move to the current parent
    changes nothing (no history row).
    """
    require_permission(user, "location.change_location", "move locations")
    location = concurrency.lock_for_change(
        Location, key, user=user, expected=expected_validity_from
    )
    candidate = Location.objects.get(pk=location.pk)
    candidate.parent = resolve_location(parent, user)
    if candidate.parent_id != location.parent_id:
        rights.require_placeable(user, Location, candidate.parent)
    _check_level_permission(user, location.type)
    errors = _parent_errors(candidate)
    if errors:
        raise ValidationFailed(errors)
    if candidate.parent_id == location.parent_id:
        return location  # already there: no history row identical to the current one
    changes = {"parent_id": candidate.parent_id, **_reparent(location, candidate.parent)}
    return versioning.update(location, changes, user_id=user.pk)


def _reparent(location: Location, parent: Location | None) -> dict[str, str]:
    """Move the materialised paths of ``location``'s descendants (every version) under
    ``parent`` in one UPDATE; return the change of ``location``'s own path (for the
    caller's versioned update), ``{}`` when the path stays as it is."""
    old, new = location.path, location.path_below(parent)
    if old == new:
        return {}
    Location.objects.filter(path__gt=old, path__lt=old + PATH_END).update(
        path=Concat(Value(new), Substr("path", len(old) + 1))
    )
    return {"path": new}


@transaction.atomic
def delete_location(
    key: uuid.UUID,
    *,
    new_parent: uuid.UUID | None = None,
    descendants: bool = False,
    references: versioning.References = versioning.References.PROTECT,
    reassign_to: uuid.UUID | None = None,
    user,
    expected_validity_from: datetime.datetime | None = None,
) -> Location:
    """Delete the current location ``key`` (sets its ``validity_to``).

    Refused (``HAS_CHILDREN``) while it has current children, unless ``new_parent``
    names a current location of its own level: the children are then moved there first
    (each move kept as history); or unless ``descendants`` is true: then every current
    location below it, at any depth, is deleted with it, all with one ``validity_to``.
    Other modules' current rows at the deleted locations (payers) refuse the delete
    with their list (``references`` PROTECT), are deleted too (CASCADE) or are moved to
    the current location ``reassign_to`` (REASSIGN; outside the deleted subtree, and of a
    level each module accepts). Needs ``location.delete_location`` (and the upper-level
    right for a region or district). Returns the deleted row as saved. Error codes
    besides the module's: ``CONFLICT`` (newParent with descendants), ``REQUIRED`` /
    ``NOT_ALLOWED`` (reassignTo with or without REASSIGN), ``IN_DELETED_SUBTREE``.
    ``expected_validity_from``: the version of ``key`` the caller read, as in
    :func:`update_location` (the rows below it and the other modules' rows are not
    compared: the caller named none of their versions).
    """
    require_permission(user, "location.delete_location", "delete locations")
    location = concurrency.lock_for_change(
        Location, key, user=user, expected=expected_validity_from
    )
    _check_level_permission(user, location.type)
    if descendants and new_parent is not None:
        raise ValidationFailed(
            [
                FieldError(
                    "newParent",
                    "CONFLICT",
                    "Give either newParent (keep the children) or descendants (delete "
                    "them), not both.",
                )
            ]
        )
    target = _reassign_target(location, references, reassign_to, user)
    if target is not None:  # other modules' rows move there
        rights.require_writable(user, Location.objects.filter(pk=target.pk))
    if descendants:
        rows = Location.objects.current().filter(subtree_q("", location.uuid))
    else:
        _rehome_children(location, new_parent, user=user)
        rows = Location.objects.filter(pk=location.pk)
    versioning.soft_delete_many(rows, user_id=user.pk, references=references, reassign_to=target)
    return Location.objects.get(pk=location.pk)


def _reassign_target(
    location: Location, references: versioning.References, reassign_to: uuid.UUID | None, user
) -> Location | None:
    """The current location receiving other modules' rows (REASSIGN), locked; checks that
    it is given exactly when REASSIGN is asked and lies outside ``location``'s subtree."""
    target = (
        None if reassign_to is None else resolve_location(reassign_to, user, field="reassignTo")
    )
    if references is not versioning.References.REASSIGN:
        if target is not None:
            raise ValidationFailed(
                [
                    FieldError(
                        "reassignTo",
                        "NOT_ALLOWED",
                        "reassignTo is used only with references: REASSIGN.",
                    )
                ]
            )
        return None
    if target is None:
        raise ValidationFailed(
            [
                FieldError(
                    "reassignTo",
                    "REQUIRED",
                    "references: REASSIGN needs reassignTo, the location receiving them.",
                )
            ]
        )
    if not target.is_current:
        raise ValidationFailed(
            [FieldError("reassignTo", "NOT_CURRENT", f"The location {target} is not current.")]
        )
    if target.path.startswith(location.path):
        raise ValidationFailed(
            [
                FieldError(
                    "reassignTo",
                    "IN_DELETED_SUBTREE",
                    f"{target} is {location} or below it, and would be deleted too.",
                )
            ]
        )
    return target


def _rehome_children(location: Location, new_parent: uuid.UUID | None, *, user) -> None:
    """Move the current children of ``location`` under ``new_parent`` (a current location
    of its level), each move kept as history; ``HAS_CHILDREN`` when it has children and
    ``new_parent`` is None."""
    children = list(Location.objects.current().filter(parent=location).select_for_update())
    if children and new_parent is None:
        raise ValidationFailed(
            [
                FieldError.advised(
                    "newParent",
                    "HAS_CHILDREN",
                    f"{location} has {len(children)} current child location(s)",
                    "give them a new parent (newParent), delete them with it (descendants) "
                    "or move them first.",
                )
            ]
        )
    if new_parent is None:
        return
    target = resolve_location(new_parent, user, field="newParent")
    rights.require_placeable(user, Location, target)
    if target.pk == location.pk or target.type != location.type or not target.is_current:
        raise ValidationFailed(
            [
                FieldError(
                    "newParent",
                    "WRONG_PARENT_LEVEL",
                    f"The new parent must be another current "
                    f"{Location.Type(location.type).label.lower()}, not {target}.",
                )
            ]
        )
    for child in children:
        changes = {"parent_id": target.pk, **_reparent(child, target)}
        versioning.update(child, changes, user_id=user.pk)
