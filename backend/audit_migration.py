"""The migration of a versioned model from one ``audit_user_id`` integer to two fields:
``audit_user`` (a user of this installation) and ``legacy_audit_user_id`` (a user id of
the legacy openIMIS database). Each module's migration is
``Migration = split_audit_user_migration("<app_label>", "<model_name>", "<previous>")``.

Before, both landed in one integer column: the user id of a change made here, or the
``AuditUserID`` that ``import_legacy`` copied from the legacy tables. Nothing recorded
which, so the data step decides each row from what can be known:

- the column is renamed ``legacy_audit_user_id`` (every value is first taken as legacy);
- a value is moved to ``audit_user`` only when it names a user of this installation who
  existed when the version was made: the row's ``validity_from`` (``validity_to`` for a
  deleted row, whose audit user is the one who deleted it) is at or after the user's
  ``date_joined``. A legacy id that happens to equal a later user's id stays legacy.

A version made here before its author's account existed cannot be, so this never
attributes a legacy change to a user who did not exist yet. What it cannot tell apart
is a legacy row changed in the legacy database after a user with the same id joined
here (an import of a live database): such a row is attributed to that user. Reversing
the migration merges the two fields back into ``audit_user_id``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import migrations, models
from django.db.models import Q

from backend.audit import audit_user_field, legacy_audit_user_field


def _made_at_or_after(moment) -> Q:
    deleted = Q(legacy_id__isnull=True, validity_to__isnull=False)
    return (deleted & Q(validity_to__gte=moment)) | (~deleted & Q(validity_from__gte=moment))


def split_audit_user_migration(
    app_label: str, model_name: str, previous: str
) -> type[migrations.Migration]:
    """The migration (after ``previous`` of ``app_label``) splitting
    ``<app_label>.<model_name>.audit_user_id`` (see the module doc): rename it to
    ``legacy_audit_user_id``, add ``audit_user``, move the values made here."""

    def split(apps, schema_editor) -> None:
        model = apps.get_model(app_label, model_name)
        users = apps.get_model(settings.AUTH_USER_MODEL)._default_manager
        for pk, joined in users.order_by("pk").values_list("pk", "date_joined"):
            model._default_manager.filter(
                Q(legacy_audit_user_id=pk) & _made_at_or_after(joined)
            ).update(audit_user_id=pk, legacy_audit_user_id=None)

    def merge(apps, schema_editor) -> None:
        model = apps.get_model(app_label, model_name)
        model._default_manager.filter(audit_user__isnull=False).update(
            legacy_audit_user_id=models.F("audit_user_id")
        )

    class Migration(migrations.Migration):
        dependencies = [
            migrations.swappable_dependency(settings.AUTH_USER_MODEL),
            (app_label, previous),
        ]
        operations = [
            migrations.RenameField(model_name, "audit_user_id", "legacy_audit_user_id"),
            migrations.AlterField(model_name, "legacy_audit_user_id", legacy_audit_user_field()),
            migrations.AddField(model_name, "audit_user", audit_user_field()),
            migrations.RunPython(split, merge, elidable=False),
        ]

    return Migration
