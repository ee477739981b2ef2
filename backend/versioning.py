"""History the openIMIS way: the versioned base model and its write functions.

Every module's model subclasses :class:`VersionedModel`, which gives it ``uuid``,
``validity_from``, ``validity_to``, ``legacy`` (a self-reference stored in the legacy
column ``legacy_id``, reverse name ``history``), ``audit_user`` and
``legacy_audit_user_id`` (who made the version, here or in the legacy database), and the queryset
:class:`VersionedQuerySet` (``current()``, ``history()``, ``valid_at()``): the one
definition of "current". The rules, from openIMIS (``tblLocations``/``tblPayer``, and
the design brief §5):

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
import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from backend import registry
from backend.audit import audit, audit_user_field, legacy_audit_user_field
from backend.errors import FieldError, ValidationFailed
from backend.ordering import SortRule
from backend.rights import visible
from backend.versioning_migrations import legacy_field, uuid_field, validity_columns


class StatementTime(models.Func):
    """ "Now" as the SQL statement reading it sees it: PostgreSQL's
    ``STATEMENT_TIMESTAMP()``, so a compiled statement run again later (the SQL
    compiler reuses statements) compares with the time of its run; on other databases
    the application's clock when the SQL is built (SQLite's own clock has milliseconds
    only, the stored datetimes microseconds)."""

    output_field = models.DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(models.Value(timezone.now(), output_field=self.output_field))

    def as_postgresql(self, compiler, connection, **extra_context):
        return "STATEMENT_TIMESTAMP()", []


class VersionedQuerySet(models.QuerySet):
    """Queryset of a :class:`VersionedModel`: which versions to read.

    ``valid_instant``: the instant of the last :meth:`valid_at` (kept by every queryset
    derived from it), None otherwise: a model's own relations (a tree's ancestors) then
    follow the rows as they were at that instant."""

    valid_instant: datetime.datetime | None = None

    def _clone(self):
        clone = super()._clone()
        clone.valid_instant = self.valid_instant
        return clone

    def current(self) -> VersionedQuerySet:
        """The current version of each row: ``validity_to`` is NULL."""
        return self.filter(validity_to__isnull=True)

    def history(self) -> VersionedQuerySet:
        """History rows (earlier versions, and deleted rows): ``validity_to`` is set."""
        return self.filter(validity_to__isnull=False)

    def valid_at(self, moment: datetime.datetime) -> VersionedQuerySet:
        """The versions valid at ``moment`` (an aware datetime, or an expression such as
        :class:`StatementTime`): ``validity_from <= moment``
        and ``validity_to`` NULL or after ``moment``."""
        rows = self.filter(
            models.Q(validity_from__lte=moment)
            & (models.Q(validity_to__isnull=True) | models.Q(validity_to__gt=moment))
        )
        if isinstance(moment, datetime.datetime):
            rows.valid_instant = moment
        return rows


class VersionedModel(models.Model):
    """Abstract base of every module's model: the openIMIS history columns.

    Legacy columns: ``ValidityFrom``, ``ValidityTo``, ``LegacyId``, ``AuditUserId``. The
    current row has ``validity_to`` NULL; a history row has it set and ``legacy`` pointing
    at its current row (no database constraint: legacy exports are imported as they
    are, validated by ``import_legacy``). Who made a version is kept apart by origin:
    ``audit_user`` for a change made here (a user of this installation),
    ``legacy_audit_user_id`` for an imported row (the legacy ``AuditUserID``, a user of
    the legacy database); at most one of them is set.
    """

    # The columns as the migrations define them (backend.versioning_migrations), as
    # the audit columns (backend.audit): one definition each.
    uuid = uuid_field()
    validity_from, validity_to = (column for _name, column in validity_columns())
    legacy = legacy_field("self")
    audit_user = audit_user_field()
    legacy_audit_user_id = legacy_audit_user_field()

    #: Fields that sort by a rule rather than their stored value, on every surface
    #: (GraphQL ``orderBy``, FHIR ``_sort``, JSON:API ``sort``): field name -> what the
    #: database sorts by, built from the field's expression (``{"name": Lower}``:
    #: ignoring case). See :mod:`backend.ordering`.
    sort_rules: ClassVar[Mapping[str, SortRule]] = {}

    objects = VersionedQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_current(self) -> bool:
        return self.validity_to is None


#: Fields a history copy does not take over from the current row.
_NOT_COPIED = {"id", "uuid", "validity_to", "legacy"}


def lock_current(
    model: type[models.Model], key: uuid.UUID, *, field: str = "uuid", user: Any = None
) -> Any:
    """Return the current row with this uuid, locked for the rest of the transaction.

    ``user``: the acting user; a row outside their district rights is not found, exactly
    as a uuid no row has, and a user without the model's view permission is refused
    (``PermissionDenied`` naming it) whatever the uuid, before any row is read
    (:func:`backend.rights.visible`: naming a row needs it); None: every row, for an
    operator's command. Raises :class:`ValidationFailed` with code ``NOT_FOUND`` when no
    such row has the uuid, and ``NOT_CURRENT`` when the row is a history row (history is
    never changed).
    """
    rows = model._default_manager.all()
    if user is not None:
        rows = visible(model, user, action=f"name a {model._meta.verbose_name}")
    row = rows.select_for_update().filter(uuid=key).first()
    if row is None:
        raise ValidationFailed(
            [FieldError(field, "NOT_FOUND", f"No {model._meta.verbose_name} has uuid {key}.")]
        )
    if row.validity_to is not None:
        raise ValidationFailed(
            [
                FieldError(
                    field,
                    "NOT_CURRENT",
                    f"{key} {_history_of(row, rows)}; history is never changed.",
                )
            ]
        )
    return row


def _history_of(row: models.Model, rows: models.QuerySet) -> str:
    """What the history ``row`` is, for a NOT_CURRENT message, naming its current row by
    uuid (what users know; the database id is not shown), when ``rows`` holds it:
    ``"is an earlier version of location R1 Ultha (uuid 7525…)"``, or ``"was deleted on
    2024-05-01 10:00"`` for a row without current version."""
    name = row._meta.verbose_name
    if row.legacy_id is None:
        return f"was deleted on {row.validity_to:%Y-%m-%d %H:%M}"
    current = rows.filter(pk=row.legacy_id).first()
    if current is None:
        return f"is an earlier version of a {name}"
    return f"is an earlier version of {name} {current} (uuid {current.uuid})"


def store_history(row: models.Model, *, now: datetime.datetime) -> models.Model:
    """Save a copy of the current ``row`` as a history row.

    ``row`` is the row as read under its lock (:func:`lock_current`, or a
    ``select_for_update`` query), not yet changed in memory: its values are the ones in
    the database. The copy gets a new uuid, ``validity_to`` = ``now`` and
    ``legacy_id`` = ``row.pk``; every other field keeps its value. Returns the saved
    history row.
    """
    copy = _history_copy(row, now)
    copy.save(force_insert=True)
    return copy


def _history_copy(row: models.Model, now: datetime.datetime) -> models.Model:
    """The unsaved history copy of the current ``row`` (see :func:`store_history`)."""
    values = {
        f.attname: getattr(row, f.attname)
        for f in row._meta.concrete_fields
        if f.name not in _NOT_COPIED
    }
    return type(row)(**values, uuid=uuid.uuid4(), validity_to=now, legacy_id=row.pk)


def update(row: models.Model, changes: Mapping[str, Any], *, user_id: int | None) -> models.Model:
    """Change the current ``row`` (locked and read by :func:`lock_current`, unchanged in
    memory), keeping its history.

    ``changes`` maps field names to new values. Stores the history row first, then saves
    the new values with ``validity_from`` = now and the audit fields of ``user_id``
    (:func:`backend.audit.audit`). Returns the row read back from the database.
    """
    now = timezone.now()
    store_history(row, now=now)
    for name, value in {**changes, **audit(user_id)}.items():
        setattr(row, name, value)
    row.validity_from = now
    row.save()
    return type(row)._default_manager.get(pk=row.pk)


def update_many(
    rows: models.QuerySet, changes: Mapping[str, Any], *, user_id: int | None, now=None
) -> int:
    """Change every current row of ``rows`` alike, keeping a history row for each.

    ``rows``: a queryset of current rows (locked here, ``SELECT … FOR UPDATE``);
    ``changes``: field name -> new value. Stores one history row per row (one INSERT),
    then sets the changes, ``validity_from`` = ``now`` (default: now) and the audit
    fields of ``user_id`` in one UPDATE. Returns the number of rows changed.
    """
    now = now or timezone.now()
    locked = list(rows.current().select_for_update().order_by("pk"))
    if not locked:
        return 0
    model = type(locked[0])
    model._default_manager.bulk_create([_history_copy(row, now) for row in locked])
    return model._default_manager.filter(pk__in=[row.pk for row in locked]).update(
        **changes, validity_from=now, **audit(user_id)
    )


class References(enum.Enum):
    """What a delete does with other modules' current rows referring to the deleted rows
    (Django's ``on_delete`` terms; nothing is ever removed)."""

    #: Refuse the delete, listing the referring rows (the default).
    PROTECT = "protect"
    #: Delete the referring rows too (their ``validity_to`` is set).
    CASCADE = "cascade"
    #: Point the referring rows at another row (``DeletePlan.reassign_to``), a history
    #: row kept for each.
    REASSIGN = "reassign"


@dataclass(frozen=True)
class DeletePlan:
    """A delete of a set of current rows of one model, as told to the delete handlers.

    ``pks``: the primary keys of the current rows about to be deleted (locked); filter
    your rows by them, ``location_id__in=plan.pks`` (a list, not a subquery: the
    database's plan for a subquery depends on fresh statistics, and once went from
    0.1 s to 8 s on PostgreSQL). ``rows``: those rows as a queryset. ``references``: what to do with
    rows referring to them; ``reassign_to``: with ``REASSIGN``, the current row (of the
    same model) that receives them, else None. ``user_id``: who acts; ``now``: the
    ``validity_to`` the deleted rows get (use it for every row you change).
    """

    pks: list[Any]
    rows: models.QuerySet
    references: References
    reassign_to: models.Model | None
    user_id: int | None
    now: datetime.datetime


def soft_delete(row: models.Model, *, user_id: int | None) -> models.Model:
    """Delete the current ``row`` the openIMIS way: set ``validity_to`` = now.

    Raises :class:`ValidationFailed` when another active module objects (its delete
    guard or delete handler, e.g. the payer module: a location that still has current
    payers). Returns the row read back from the database.
    """
    soft_delete_many(type(row)._default_manager.filter(pk=row.pk), user_id=user_id)
    return type(row)._default_manager.get(pk=row.pk)


def soft_delete_many(
    rows: models.QuerySet,
    *,
    user_id: int | None,
    references: References = References.PROTECT,
    reassign_to: models.Model | None = None,
) -> int:
    """Delete every current row of ``rows`` at once: one ``validity_to`` for all.

    Every active module is asked first, in module order: a module declaring a delete
    handler on the model (``Manifest.delete_handlers``) gets a :class:`DeletePlan` and
    refuses (returns ``FieldError`` objections listing its referring rows), deletes or
    reassigns its rows as ``references`` asks; a module declaring only a delete guard
    (``Manifest.delete_guards``) is asked once per row and its objections always refuse.
    Raises :class:`ValidationFailed` with every objection (the caller's transaction,
    handlers' writes included, is then rolled back). Returns the number of rows deleted.
    Run it inside ``transaction.atomic``.
    """
    model = rows.model
    pks = list(rows.current().select_for_update().order_by("pk").values_list("pk", flat=True))
    rows = model._default_manager.filter(pk__in=pks)
    label = model._meta.label
    plan = DeletePlan(
        pks=pks,
        rows=rows,
        references=references,
        reassign_to=reassign_to,
        user_id=user_id,
        now=timezone.now(),
    )
    objections: list[FieldError] = []
    locked: list[models.Model] | None = None
    for module in registry.active_modules():
        handler = registry.declared_for(module.manifest.delete_handlers, label)
        guard = registry.declared_for(module.manifest.delete_guards, label)
        if handler is not None:
            objections += handler(plan) or ()
        elif guard is not None:
            if locked is None:
                locked = list(rows.order_by("pk"))
            objections += [error for row in locked for error in guard(row) or ()]
    if objections:
        raise ValidationFailed(objections)
    return rows.update(validity_to=plan.now, **audit(user_id))
