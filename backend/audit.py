"""Who made a version: the audit fields every versioned model has (openIMIS
``AuditUserID``), kept apart by origin. ``audit_user`` is a user of this installation who
made a change here; ``legacy_audit_user_id`` is the legacy ``AuditUserID`` of an imported
version, a user id of the legacy openIMIS database. At most one of them is set.
:class:`backend.versioning.VersionedModel` declares both; the write functions of
:mod:`backend.versioning` set them through :func:`audit`."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def audit_user_field() -> models.ForeignKey:
    """``audit_user``: the user of this installation who made a version (column
    ``audit_user_id``). ``PROTECT``: a user who changed data is deactivated, not deleted,
    so no version loses its author (openIMIS keeps its users the same way). Takes
    nothing; returns a new unbound ``ForeignKey`` to ``AUTH_USER_MODEL``.

    Migrations call it (:mod:`backend.versioning_migrations`,
    :mod:`backend.audit_migration`, the modules' migrations): what it returns must never
    change without a new migration in every module (``makemigrations``); otherwise a
    new database would differ from an upgraded one."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_column="audit_user_id",
        help_text="The user of this installation who made this version; null for imported rows.",
    )


def legacy_audit_user_field() -> models.IntegerField:
    """``legacy_audit_user_id``: the legacy ``AuditUserID`` of an imported version, the id
    of a user of the legacy openIMIS database, never resolved to a user here. Takes
    nothing; returns a new unbound nullable ``IntegerField``.

    Migrations call it, as :func:`audit_user_field`: what it returns must never change
    without a new migration in every module (``makemigrations``)."""
    return models.IntegerField(
        null=True,
        blank=True,
        help_text=(
            "AuditUserID of an imported version: a user id of the legacy openIMIS database, "
            "not of this installation; null for changes made here."
        ),
    )


def audit(user_id: int | None) -> dict[str, int | None]:
    """The audit fields of a version made here by the user with id ``user_id``: its
    ``audit_user_id``, and no legacy ``AuditUserID``."""
    return {"audit_user_id": user_id, "legacy_audit_user_id": None}
