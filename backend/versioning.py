"""History the openIMIS way, for any model with the validity fields.

A versioned model has ``uuid``, ``validity_from``, ``validity_to``, ``legacy`` (a
self-reference stored in the legacy column ``legacy_id``) and ``audit_user_id``. The
rules, from openIMIS (``tblLocations``/``tblPayer``, and the design brief §5):

- the row with ``validity_to`` NULL is the current version; its id and uuid never change;
- an update first stores the old values as a history row (a copy with its own uuid,
  ``validity_to`` = the time of the change, ``legacy_id`` = the current row's id), then
  changes the current row in place (``validity_from`` = the time of the change);
- a delete sets ``validity_to`` on the current row; no row is ever removed;
- a history row is never changed.

Every function here runs inside the caller's transaction (``transaction.atomic``) and
locks the current row (``SELECT … FOR UPDATE`` on PostgreSQL), so two concurrent updates
of one row are serialised and neither loses its history row.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.dispatch import Signal
from django.utils import timezone

from backend.errors import FieldError, ValidationFailed

#: Sent before a current row is deleted (``sender`` = its model class, ``instance``).
#: A receiver returns a list of :class:`FieldError` explaining why the delete must be
#: refused (e.g. the payer module: a location that still has current payers), or [].
#: Modules connect to it in ``AppConfig.ready()``; no module imports another.
before_delete = Signal()

#: Fields a history copy does not take over from the current row.
_NOT_COPIED = {"id", "uuid", "validity_to", "legacy"}


def lock_current(model: type[models.Model], key: uuid.UUID, *, field: str = "uuid") -> Any:
    """Return the current row with this uuid, locked for the rest of the transaction.

    Raises :class:`ValidationFailed` with code ``NOT_FOUND`` when no row has the uuid,
    and ``NOT_CURRENT`` when the row is a history row (history is never changed).
    """
    row = model._default_manager.select_for_update().filter(uuid=key).first()
    if row is None:
        raise ValidationFailed(
            [FieldError(field, "NOT_FOUND", f"No {model._meta.verbose_name} has uuid {key}.")]
        )
    if row.validity_to is not None:
        what = (
            f"was deleted on {row.validity_to:%Y-%m-%d %H:%M}"
            if row.legacy_id is None
            else f"is an earlier version of {model._meta.verbose_name} id {row.legacy_id}"
        )
        raise ValidationFailed(
            [FieldError(field, "NOT_CURRENT", f"{key} {what}; history is never changed.")]
        )
    return row


def store_history(row: models.Model, *, now: datetime.datetime) -> models.Model:
    """Save a copy of the current ``row`` as a history row.

    ``row`` is the row as read under its lock (:func:`lock_current`, or a
    ``select_for_update`` query), not yet changed in memory: its values are the ones in
    the database. The copy gets a new uuid, ``validity_to`` = ``now`` and
    ``legacy_id`` = ``row.pk``; every other field keeps its value. Returns the saved
    history row.
    """
    model = type(row)
    values = {
        f.attname: getattr(row, f.attname)
        for f in model._meta.concrete_fields
        if f.name not in _NOT_COPIED
    }
    return model._default_manager.create(
        **values, uuid=uuid.uuid4(), validity_to=now, legacy_id=row.pk
    )


def update(row: models.Model, changes: Mapping[str, Any], *, user_id: int | None) -> models.Model:
    """Change the current ``row`` (locked and read by :func:`lock_current`, unchanged in
    memory), keeping its history.

    ``changes`` maps field names to new values. Stores the history row first, then saves
    the new values with ``validity_from`` = now and ``audit_user_id`` = ``user_id``.
    Returns the row read back from the database.
    """
    now = timezone.now()
    store_history(row, now=now)
    for name, value in changes.items():
        setattr(row, name, value)
    row.validity_from = now
    row.audit_user_id = user_id
    row.save()
    return type(row)._default_manager.get(pk=row.pk)


def soft_delete(row: models.Model, *, user_id: int | None) -> models.Model:
    """Delete the current ``row`` the openIMIS way: set ``validity_to`` = now.

    Raises :class:`ValidationFailed` when a :data:`before_delete` receiver objects.
    Returns the row read back from the database.
    """
    objections = [
        error
        for _receiver, errors in before_delete.send(sender=type(row), instance=row)
        for error in errors or ()
    ]
    if objections:
        raise ValidationFailed(objections)
    row.validity_to = timezone.now()
    row.audit_user_id = user_id
    row.save(update_fields=["validity_to", "audit_user_id"])
    return type(row)._default_manager.get(pk=row.pk)
