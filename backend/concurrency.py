"""Optimistic concurrency: a write names the version of the row it read.

Two users who read a row and then both change it would otherwise overwrite each other
without knowing it. A write on an existing row may therefore carry the version the
caller read, and is refused, with nothing written, when the row is no longer that
version (the "lost update" of HTTP's conditional requests, RFC 9110 §13.1.1
``If-Match``, which FHIR's writes follow with their version ids:
:mod:`backend.fhir.writes`).

The version token is the row's ``validity_from`` (GraphQL ``validityFrom``, FHIR
``meta.lastUpdated``): every new version of a current row gets a new one
(:func:`backend.versioning.update` and ``update_many`` set it to the time of the change;
an import only moves it forward, :func:`backend.legacy.saving.version_change`), so it
changes exactly when FHIR's version number does. It is compared to the microsecond, as
stored on PostgreSQL and SQLite alike and as GraphQL serialises it: send it back as read
(a JavaScript ``Date`` keeps milliseconds only).

The comparison happens under the row lock the write takes (:func:`lock_for_change`,
``SELECT … FOR UPDATE``), so no other write comes between the check and the change.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import Model

from backend import rights, versioning
from backend.errors import UserInputError

#: The ``extensions.reason`` of a refused stale write (its code is ``BAD_USER_INPUT``).
STALE_VERSION = "STALE_VERSION"
#: The name of the version a write carries, in GraphQL inputs and messages.
EXPECTED = "expectedValidityFrom"


class StaleVersion(UserInputError):
    """The row changed since the caller read it; nothing was written.

    Its GraphQL error is ``BAD_USER_INPUT`` with ``extensions.reason``
    ``STALE_VERSION``: a client tells it from other refusals without reading the
    message, reads the row again and reapplies its change. ``current``: the
    ``validity_from`` of the row's current version, for a caller that words the refusal
    its own way (the admin); None when the refusal names several rows."""

    def __init__(self, message: str, *, current: datetime.datetime | None = None):
        super().__init__(message)
        self.extensions = {"reason": STALE_VERSION}
        self.current = current


def require_version(
    row: Model, expected: datetime.datetime | None, *, name: str = EXPECTED
) -> None:
    """Refuse a write on ``row`` (a current row, locked) unless it is still the version
    valid from ``expected`` (None: no check, the write goes ahead as before).

    Raises :class:`StaleVersion` naming the row by uuid and both versions, or
    ``UserInputError`` (argument ``name``) for an ``expected`` without a time zone
    (``validityFrom`` is always served with one)."""
    if expected is None:
        return
    if expected.tzinfo is None or expected.utcoffset() is None:
        raise UserInputError(
            f"{name} needs a time zone: send the validityFrom you read as it was served, "
            "e.g. 2026-01-31T08:15:42.123456+00:00.",
            argument=name,
        )
    if row.validity_from != expected:
        noun = row._meta.verbose_name
        raise StaleVersion(
            f"The {noun} {row.uuid} changed since you read it: you read the version valid "
            f"from {expected.isoformat()}, the current one is valid from "
            f"{row.validity_from.isoformat()}. Nothing was written; read it again and "
            "reapply your change.",
            current=row.validity_from,
        )


def lock_for_change(
    model: type[Model],
    key: uuid.UUID,
    *,
    user: Any,
    expected: datetime.datetime | None = None,
    field: str = "uuid",
) -> Any:
    """The current row ``key`` of ``model``, locked for the transaction, once ``user``
    may change it and it is still the version they read.

    In this order, each answer telling no more than the one before allows:
    ``NOT_FOUND``/``NOT_CURRENT`` on ``field`` (:func:`backend.versioning.lock_current`:
    a row the user may not read is not found), ``OutsideDistricts`` for a row they read
    but may not change (:func:`backend.rights.require_writable`), then
    :func:`require_version` against ``expected``. Every module's service changing or
    deleting a row calls this, so its mutations take a version by declaring the input
    field (:func:`backend.graphql.mutations.expected_version`) and passing it on."""
    row = versioning.lock_current(model, key, field=field, user=user)
    rights.require_writable(user, model._default_manager.filter(pk=row.pk))
    require_version(row, expected)
    return row


def require_versions(
    rows: Sequence[Model],
    expected: Sequence[datetime.datetime | None] | None,
    *,
    name: str = EXPECTED,
) -> None:
    """:func:`require_version` for a write on several rows at once: ``rows`` (current,
    locked) in the order the caller named them, ``expected`` one version per row in the
    same order (an item None: that row is not compared; ``expected`` None: none is).

    Raises ``UserInputError`` (argument ``name``) when ``expected`` does not hold one
    item per row, and one :class:`StaleVersion` naming every row that changed, with its
    position (``expectedValidityFrom[2]``)."""
    if expected is None:
        return
    if len(expected) != len(rows):
        raise UserInputError(
            f"{name} has {len(expected)} value(s) for {len(rows)} row(s): give one per row, "
            "in the same order (null: that row is not compared).",
            argument=name,
        )
    stale = []
    for index, (row, version) in enumerate(zip(rows, expected, strict=True)):
        try:
            require_version(row, version, name=f"{name}[{index}]")
        except StaleVersion as error:
            stale.append(f"{name}[{index}]: {error}")
    if stale:
        raise StaleVersion(" ".join(stale))
