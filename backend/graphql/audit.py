"""Who made a version, as GraphQL fields of every versioned type (``auditUser``,
``legacyAuditUserId``), kept apart by origin as :class:`backend.versioning.VersionedModel`
keeps them.

:func:`backend.graphql.versioned.versioned_type` adds them to a module's node type, next
to its validity fields::

    audit_user: str | None = audit_user()
    legacy_audit_user_id: int | None = legacy_audit_user_id()

They are guarded like the object: whoever may see a version sees who made it (openIMIS
shows a row's audit user with the row). Only the username is shown, nothing else of
the account.
"""

from __future__ import annotations

from typing import Any

import strawberry
import strawberry_django
from django.contrib.auth import get_user_model
from django.db.models import Model


def audit_user() -> Any:
    """``auditUser: String``: the username of the user of this installation who made the
    version; null for an imported version (see ``legacyAuditUserId``) or one loaded
    without a user. Joined in the object's own SQL query (``select_related``), so a page
    or a history list costs no extra query."""
    username = get_user_model().USERNAME_FIELD

    def resolve(root: strawberry.Parent[Model]) -> str | None:
        return None if root.audit_user_id is None else root.audit_user.get_username()

    return strawberry_django.field(
        resolver=resolve,
        description=(
            "Username of the user of this installation who made this version (created, "
            "changed or deleted it); null for an imported version (see legacyAuditUserId)."
        ),
        select_related=["audit_user"],
        only=["audit_user_id", f"audit_user__{username}"],
    )


def legacy_audit_user_id() -> Any:
    """``legacyAuditUserId: Int``: the legacy ``AuditUserID`` of an imported version."""
    return strawberry_django.field(
        description=(
            "AuditUserID of an imported version: the id of a user of the legacy openIMIS "
            "database, not of this installation (never resolved to a user here); null for "
            "changes made here."
        ),
    )
