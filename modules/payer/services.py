"""Writes to payers: the one code path for GraphQL mutations and the admin.

Rules (openIMIS ``tblPayer`` and the payer module's issue):

- ``name`` is required, at most 100 characters; ``type`` is one of C/D/G/L/O/P;
- ``email``, when given, is a well-formed address of at most 50 characters;
- ``phone`` and ``fax`` at most 50 characters, ``address`` at most 100 (line breaks kept);
- the location, when given, is a current REGION or DISTRICT;
- district rights (:mod:`backend.rights`, ``Manifest.placement``): a user without the
  global right changes only payers at a location in or below their districts and puts
  payers only there (not at a region, not at no location); ``OutsideDistricts``; a
  payer or location the user may not read at all is ``NOT_FOUND``, as an unknown uuid;
- naming a location needs ``location.view_location`` (``PermissionDenied``, whatever
  the uuid);
- every change keeps history (:mod:`backend.versioning`); a delete sets ``validity_to``.

Locations are reached by their Django label only (``"location.Location"``); this module
never imports the location module. When locations are deleted, it refuses while they
still have current payers, or deletes or moves those payers, as the caller chose
(:func:`location_delete_handler`, a delete handler declared in the manifest).

Text fields refuse control characters (``INVALID_CHARACTER``, :mod:`backend.text`).

Error codes: ``REQUIRED``, ``TOO_LONG``, ``INVALID_EMAIL``, ``NOT_FOUND``, ``NOT_CURRENT``,
``WRONG_LOCATION_LEVEL``, ``HAS_PAYERS``, ``DUPLICATE``, ``TOO_MANY``; ``REQUIRED`` also
for a missing type. Every
function runs in one transaction and raises :class:`ValidationFailed` (nothing written)
or ``PermissionDenied``.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from backend import concurrency, rights, versioning
from backend.audit import audit
from backend.errors import FieldError, ValidationFailed
from backend.permissions import require_permission
from backend.registry import lookup
from backend.text import text_errors

from .models import Payer

#: Default of :func:`update_payer`'s ``location``: leave the location as it is.
UNCHANGED: Any = object()

#: Location depths a payer may belong to (openIMIS tblPayer): 0 a region, 1 a district.
PAYER_LOCATION_DEPTHS = {0, 1}
LIMITS = {"name": 100, "address": 100, "phone": 50, "fax": 50, "email": 50}


def resolve_location(location_uuid: uuid.UUID | None, user):
    """The location with this uuid as ``user`` sees it (None for None), locked (FOR
    UPDATE: a concurrent delete of the location waits for this write, or this write
    waits for the delete and then sees the location no longer current).

    ``NOT_FOUND`` when no location has it or ``user`` may not read it (the same answer:
    :func:`backend.rights.resolve`); ``PermissionDenied`` when ``user`` may not view
    locations at all.
    """
    return rights.resolve(
        apps.get_model("location", "Location"),
        location_uuid,
        user,
        field="location",
        action="give a payer a location",
    )


def validate(payer: Payer, *, history: bool = False) -> list[FieldError]:
    """Every rule the unsaved state of ``payer`` breaks ([] when it is valid).

    The legacy import checks every row with it too (``legacy.py``): ``history``: the row
    is a history version (ValidityTo set), whose location need not be current now (the
    level rule still holds, as of the location it names).
    """
    errors = []
    if payer.type not in Payer.Type.values:
        errors.append(FieldError("type", "REQUIRED", "The payer type is required."))
    if not (payer.name or "").strip():
        errors.append(FieldError("name", "REQUIRED", "The name is required."))
    for field, limit in LIMITS.items():
        value = getattr(payer, field) or ""
        if len(value) > limit:
            errors.append(
                FieldError(
                    field,
                    "TOO_LONG",
                    f"The {field} has {len(value)} characters; at most {limit} are allowed.",
                )
            )
    errors += text_errors(
        {field: getattr(payer, field) for field in LIMITS}, multiline=("address",)
    )
    if payer.email:
        try:
            validate_email(payer.email)
        except DjangoValidationError:
            errors.append(
                FieldError("email", "INVALID_EMAIL", f"{payer.email!r} is not an e-mail address.")
            )
    location = payer.location
    if location is not None:
        if location.validity_to is not None and not history:
            errors.append(
                FieldError("location", "NOT_CURRENT", f"The location {location} is not current.")
            )
        elif lookup("location.depth")(location) not in PAYER_LOCATION_DEPTHS:
            errors.append(
                FieldError(
                    "location",
                    "WRONG_LOCATION_LEVEL",
                    f"A payer belongs to a region or a district, not to {location}.",
                )
            )
    return errors


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Strip surrounding white space of one-line texts (the address keeps its lines)."""
    return {
        k: v.strip() if isinstance(v, str) and k in {"name", "phone", "fax", "email"} else v
        for k, v in data.items()
    }


@transaction.atomic
def create_payer(data: Mapping[str, Any], *, location: uuid.UUID | None, user) -> Payer:
    """Create a current payer.

    ``data``: model field values (``name``, ``type`` as C/D/G/L/O/P, ``address``,
    ``phone``, ``fax``, ``email``); ``location``: a location uuid or None; ``user``: the
    acting Django user (needs ``payer.add_payer``). Returns the saved row, read back.
    """
    require_permission(user, "payer.add_payer", "create payers")
    payer = Payer(**_clean(data), location=resolve_location(location, user), audit_user_id=user.pk)
    rights.require_placeable(user, Payer, payer.location)
    errors = validate(payer)
    if errors:
        raise ValidationFailed(errors)
    payer.save()
    return Payer.objects.get(pk=payer.pk)


@transaction.atomic
def update_payer(
    key: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    location: Any = UNCHANGED,
    user,
    expected_validity_from: datetime.datetime | None = None,
) -> Payer:
    """Change the current payer ``key`` (uuid), keeping history.

    ``changes``: model field values to set; ``location``: a location uuid, or None to
    clear it (default :data:`UNCHANGED`). Needs ``payer.change_payer``.
    ``expected_validity_from``: the version the caller read; refused with
    :class:`~backend.concurrency.StaleVersion` when the payer is no longer that version
    (None: not checked). Returns the saved row; with nothing to change, the row as it
    is (no history row).
    """
    require_permission(user, "payer.change_payer", "change payers")
    payer = concurrency.lock_for_change(Payer, key, user=user, expected=expected_validity_from)
    candidate = Payer.objects.get(pk=payer.pk)
    for name, value in _clean(changes).items():
        setattr(candidate, name, value)
    if location is not UNCHANGED:
        candidate.location = resolve_location(location, user)
        if candidate.location_id != payer.location_id:
            rights.require_placeable(user, Payer, candidate.location)
    errors = validate(candidate)
    if errors:
        raise ValidationFailed(errors)
    names = ["name", "type", "address", "phone", "fax", "email", "location_id"]
    diff = {n: getattr(candidate, n) for n in names if getattr(candidate, n) != getattr(payer, n)}
    if not diff:  # nothing changes: no history row
        return payer
    return versioning.update(payer, diff, user_id=user.pk)


@transaction.atomic
def delete_payer(
    key: uuid.UUID, *, user, expected_validity_from: datetime.datetime | None = None
) -> Payer:
    """Delete the current payer ``key`` (sets ``validity_to``). Needs ``payer.delete_payer``.
    ``expected_validity_from``: as in :func:`update_payer`."""
    require_permission(user, "payer.delete_payer", "delete payers")
    payer = concurrency.lock_for_change(Payer, key, user=user, expected=expected_validity_from)
    return versioning.soft_delete(payer, user_id=user.pk)


@transaction.atomic
def delete_payers(
    keys: list[uuid.UUID],
    *,
    user,
    expected_validity_from: list[datetime.datetime | None] | None = None,
) -> list[Payer]:
    """Delete the current payers with these uuids, all or nothing (one transaction, one
    ``validity_to`` for all). Needs ``payer.delete_payer``.

    ``keys``: 1 to ``settings.GRAPHQL_MAX_PAGE_SIZE`` uuids, each once. Refused with one
    error per bad uuid (field ``uuids``, the message naming the uuid and its
    position): ``NOT_FOUND``, ``NOT_CURRENT``, ``DUPLICATE``; ``REQUIRED`` for an empty
    list, ``TOO_MANY`` above the limit. ``expected_validity_from``: the version of each
    payer the caller read, in the order of ``keys`` (None items, or None: not
    compared; :func:`backend.concurrency.require_versions`). Returns the deleted rows as
    saved, in the order of ``keys``.
    """
    require_permission(user, "payer.delete_payer", "delete payers")
    limit = settings.GRAPHQL_MAX_PAGE_SIZE
    if not keys:
        raise ValidationFailed([FieldError("uuids", "REQUIRED", "Give at least one payer uuid.")])
    if len(keys) > limit:
        raise ValidationFailed(
            [FieldError("uuids", "TOO_MANY", f"{len(keys)} uuids; at most {limit} at once.")]
        )
    # only the payers the user may read: one outside their districts is not found, and
    # naming one at all needs payer.view_payer (whatever the uuids)
    readable = rights.visible(Payer, user, action="name a payer")
    found = {p.uuid: p for p in readable.select_for_update().filter(uuid__in=keys)}
    errors, seen = [], set()
    for index, key in enumerate(keys):
        payer, at = found.get(key), f"uuids[{index}]"
        if key in seen:
            errors.append(FieldError("uuids", "DUPLICATE", f"{at}: {key} is given twice."))
        elif payer is None:
            errors.append(FieldError("uuids", "NOT_FOUND", f"{at}: no payer has uuid {key}."))
        elif payer.validity_to is not None:
            errors.append(
                FieldError("uuids", "NOT_CURRENT", f"{at}: {key} ({payer}) is not current.")
            )
        seen.add(key)
    if errors:
        raise ValidationFailed(errors)
    rights.require_writable(user, Payer.objects.filter(uuid__in=keys))
    concurrency.require_versions([found[key] for key in keys], expected_validity_from)
    versioning.soft_delete_many(Payer.objects.filter(uuid__in=keys), user_id=user.pk)
    saved = Payer.objects.in_bulk(keys, field_name="uuid")
    return [saved[key] for key in keys]


def location_delete_handler(plan: versioning.DeletePlan) -> list[FieldError]:
    """Delete handler on ``location.Location`` (declared in the manifest): the current
    payers at the locations of ``plan.rows``.

    PROTECT: one ``HAS_PAYERS`` error per such location, listing its payers (name and
    uuid) to a user holding ``payer.view_payer``, only their number to others;
    CASCADE: the payers are deleted too (``validity_to`` = ``plan.now``); REASSIGN: they
    move to ``plan.reassign_to`` (a history row each), refused with
    ``WRONG_LOCATION_LEVEL`` (field ``reassignTo``) unless it is a region or district.
    Returns the objections, or [] (nothing to do, or done).
    """
    payers = Payer.objects.current().filter(location_id__in=plan.pks)
    References = versioning.References
    if plan.references is References.CASCADE:
        payers.update(validity_to=plan.now, **audit(plan.user_id))
        return []
    if plan.references is References.REASSIGN:
        target = plan.reassign_to
        if lookup("location.depth")(target) not in PAYER_LOCATION_DEPTHS and payers.exists():
            return [
                FieldError(
                    "reassignTo",
                    "WRONG_LOCATION_LEVEL",
                    f"Payers belong to a region or a district, not to {target}.",
                )
            ]
        versioning.update_many(
            payers, {"location_id": target.pk}, user_id=plan.user_id, now=plan.now
        )
        return []
    by_location: dict[Any, list[Payer]] = {}
    for payer in payers.select_related("location").order_by("location_id", "name", "pk"):
        by_location.setdefault(payer.location, []).append(payer)
    if not by_location:
        return []
    # the payers are named only to a user who may view payers (a location editor may not)
    user = get_user_model()._default_manager.filter(pk=plan.user_id).first()
    named = user is not None and user.has_perm("payer.view_payer")
    return [
        FieldError.advised(
            None,
            "HAS_PAYERS",
            f"{location} still has {len(found)} current payer(s)"
            + (": " + ", ".join(f"{p.name!r} ({p.uuid})" for p in found) if named else ""),
            "move or delete them first, or choose references CASCADE or REASSIGN.",
        )
        for location, found in by_location.items()
    ]
