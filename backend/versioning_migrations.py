"""The migration operations of the history columns, shared by the modules' migrations.

Every module's versioned model (:class:`backend.versioning.VersionedModel`) carries the
same openIMIS history columns, and the modules' migrations added them in the same steps.
The steps live here once; a module's migration calls them with its app label and model
name (the lowercase Django model name, as in ``migrations.AddField(model_name=...)``).

Migrations are history: a deployed database has applied them. What a function here
returns for given arguments must therefore never change (a changed definition would make
``makemigrations`` see a change no migration made, or make a new database differ from an
upgraded one). :class:`~backend.versioning.VersionedModel` declares its ``uuid``, validity
and ``legacy`` columns with these functions, so that each is defined once; a later change
of one of them is a new definition in ``VersionedModel`` and a new migration in each
module (``manage.py makemigrations``), never an edit of this file.
"""

from __future__ import annotations

import uuid

from django.db import migrations, models
from django.utils import timezone
from django.utils.deconstruct import deconstructible


def validity_columns() -> list[tuple[str, models.Field]]:
    """``validity_from`` and ``validity_to`` (``ValidityFrom``/``ValidityTo``), as
    ``(name, field)`` pairs for ``migrations.CreateModel(fields=...)``."""
    return [
        (
            "validity_from",
            models.DateTimeField(
                default=timezone.now,
                help_text="Start of this version's validity (ValidityFrom).",
            ),
        ),
        (
            "validity_to",
            models.DateTimeField(
                blank=True,
                db_index=True,
                help_text="End of this version's validity (ValidityTo); null for the current row.",
                null=True,
            ),
        ),
    ]


def audit_user_field(column: str = "AuditUserId") -> models.IntegerField:
    """``audit_user_id``: who made the change; ``column`` is the legacy column's spelling
    named in the help text (the first payer migration spelt it ``AuditUserID``)."""
    return models.IntegerField(
        blank=True, help_text=f"Id of the user who made this change ({column}).", null=True
    )


def history_columns_before_uuid(
    legacy_column: str = "LegacyId", audit_column: str = "AuditUserId"
) -> list[tuple[str, models.Field]]:
    """The history columns of the first migrations (before the uuid and the legacy
    self-reference): validity, ``legacy_id`` as a plain integer, ``audit_user_id``.

    ``legacy_column`` and ``audit_column`` are the legacy columns' spellings in the help
    texts (``LegacyId``/``AuditUserId``; the first payer migration spelt them ``...ID``).
    """
    legacy_help = (
        f"On a history row, the id of the current row it is a version of ({legacy_column})."
    )
    return [
        *validity_columns(),
        (
            "legacy_id",
            models.IntegerField(blank=True, db_index=True, help_text=legacy_help, null=True),
        ),
        ("audit_user_id", audit_user_field(audit_column)),
    ]


def legacy_field(to: str, column: str = "LegacyId") -> models.ForeignKey:
    """``legacy``: on a history row, the current row it is a version of; a
    self-reference to the model ``to`` (``"app_label.modelname"``) in the column
    ``legacy_id``, reverse name ``history``, no database constraint."""
    return models.ForeignKey(
        blank=True,
        db_column="legacy_id",
        db_constraint=False,
        help_text=f"On a history row, the current row it is a version of ({column}).",
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="history",
        to=to,
    )


def uuid_field() -> models.UUIDField:
    """``uuid``: the stable external identifier (unique, a uuid4 by default)."""
    return models.UUIDField(
        default=uuid.uuid4, editable=False, help_text="Stable external identifier.", unique=True
    )


@deconstructible(path="backend.versioning_migrations.FillUuids")
class FillUuids:
    """``RunPython`` code: a distinct uuid4 for each row of ``app_label.model_name``
    that has none, in batches of 1000."""

    def __init__(self, app_label: str, model_name: str) -> None:
        self.app_label, self.model_name = app_label, model_name

    def __call__(self, apps, schema_editor) -> None:
        model = apps.get_model(self.app_label, self.model_name)
        pending = model.objects.filter(uuid__isnull=True).order_by("pk")
        while batch := list(pending[:1000]):
            for row in batch:
                row.uuid = uuid.uuid4()
            model.objects.bulk_update(batch, ["uuid"])


def add_uuid(app_label: str, model_name: str) -> list[migrations.operations.base.Operation]:
    """Give every row of an existing table a distinct uuid, in three steps so that a
    database with rows upgrades: add the column without a default (a default would be
    computed once, giving every row the same uuid), fill it with a uuid4 per row, then
    make it unique and not null (:func:`uuid_field`)."""
    return [
        migrations.AddField(
            model_name=model_name, name="uuid", field=models.UUIDField(null=True, editable=False)
        ),
        migrations.RunPython(
            FillUuids(app_label, model_name), migrations.RunPython.noop, elidable=True
        ),
        migrations.AlterField(model_name=model_name, name="uuid", field=uuid_field()),
    ]


def legacy_self_reference(
    app_label: str, model_name: str, column: str = "LegacyId"
) -> list[migrations.operations.base.Operation]:
    """Turn the integer column ``legacy_id`` into the self-reference ``legacy``
    (:func:`legacy_field`), keeping its values: rename the field, then alter it (same
    column name)."""
    return [
        migrations.RenameField(model_name=model_name, old_name="legacy_id", new_name="legacy"),
        migrations.AlterField(
            model_name=model_name,
            name="legacy",
            field=legacy_field(f"{app_label}.{model_name}", column),
        ),
    ]
