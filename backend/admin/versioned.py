"""The admin of a versioned model, written through the module's services.

A module's admin subclasses :class:`VersionedAdmin` and names its services; the admin
then writes through the same code path as the GraphQL mutations:

- the form parses the input, then asks the module's ``validate`` for the rule violations
  and shows each :class:`~backend.errors.FieldError` on its form field (or at the top);
- a change form carries the ``validity_from`` it was opened on (a hidden field); the
  save is refused, nothing written, when the row has a newer version by then (another
  user's change, a GraphQL or FHIR write): the lost update that GraphQL's
  ``expectedValidityFrom`` prevents: the admin gives the version to the service, which
  compares it under the one row lock it takes (:mod:`backend.concurrency`), in the
  admin's transaction (:meth:`VersionedAdmin.save_model`);
- ``save_model`` calls the create or change service with the acting ``request.user``;
  when the service refuses (``ValidationFailed`` or ``PermissionDenied``, e.g. a rule
  checked under the row lock, or a missing permission) the admin's transaction is rolled
  back and the form is shown again with the service's messages: nothing is written;
- ``delete_model``/``delete_queryset`` call the delete service (``validity_to`` is set,
  nothing is removed); a refused delete rolls back and shows why; the delete
  confirmation carries the version it was opened on too, and a stale delete is refused
  as a stale save is;
- history rows (``validity_to`` set) are read-only: no change or delete permission;
- the change page lists the earlier versions, newest first, with their validity
  (:class:`backend.admin.history.HistoryDisplay`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.text import capfirst

from backend import concurrency, references, rights
from backend.admin.forms import (
    DELETE_AGAIN,
    OPENED_VERSION,
    ServiceRefused,
    VersionedForm,
    as_opened,
    parse_opened_version,
    refused,
)
from backend.admin.history import HistoryDisplay
from backend.errors import FieldError

#: Request attribute holding a service refusal while the form is shown again.
_REFUSAL = "_versioned_admin_refusal"


class VersionedAdmin(HistoryDisplay, admin.ModelAdmin):
    """Admin of a versioned model (``validity_to``, ``legacy`` → ``history``), written
    through the module's services.

    Subclasses implement :meth:`validate`, :meth:`create`, :meth:`change` and
    :meth:`delete`, and name the columns of the history table in ``history_columns``.
    """

    form = VersionedForm
    #: Text fields whose length the service checks (the form does not check it again,
    #: so the service's message is the one shown).
    lengths_checked_by_service: ClassVar[tuple[str, ...]] = ()
    #: The editable sections of the form, as in ``ModelAdmin.fieldsets``.
    editable_fieldsets: ClassVar[list[tuple[str | None, dict]]] = []
    #: Fields of the "Version" section on the change page.
    version_fields = ("uuid", "validity_from", "validity_to", "current_version", "changed_by")
    actions = ["delete_selected"]
    delete_confirmation_template = "admin/versioned_delete_confirmation.html"

    # -- hooks for the module -------------------------------------------------------

    def validate(self, instance: models.Model) -> list[FieldError]:
        """The rules the unsaved ``instance`` breaks (the module's ``services.validate``)."""
        raise NotImplementedError

    def create(self, request, form: forms.ModelForm) -> models.Model:
        """Create the row from the valid ``form`` through the service; return it."""
        raise NotImplementedError

    def change(
        self, request, obj: models.Model, form: forms.ModelForm, expected: datetime | None
    ) -> models.Model | None:
        """Apply the form's changes to the current row ``obj`` through the services,
        giving them ``expected`` (the version the form was opened on; None: not
        compared) as their ``expected_validity_from``, so that the service's row lock
        is the one taken; return the saved row, or None when the form changes nothing
        (the admin then compares the version itself, :meth:`unchanged`)."""
        raise NotImplementedError

    def delete(self, request, obj: models.Model, expected: datetime | None = None) -> models.Model:
        """Delete ``obj`` through the service (sets ``validity_to``), giving it
        ``expected`` (the version the confirmation was opened on; None: not compared)
        as its ``expected_validity_from``."""
        raise NotImplementedError

    def delete_order(self, queryset: models.QuerySet) -> Iterable[models.Model]:
        """The order in which a bulk delete deletes the rows (default: as selected)."""
        return queryset

    # -- permissions: history is read-only, and so is what is outside one's districts --

    def get_queryset(self, request) -> models.QuerySet:
        """The rows the user may read (district rights, :func:`backend.rights.readable`),
        each with whether the user may read the rows it refers to where its placement
        does not imply it (a history version's former parent,
        :func:`backend.references.with_reference_flags`)."""
        rows = rights.readable(super().get_queryset(request), request.user)
        return references.with_reference_flags(rows, self._references(), request.user)

    def get_object(self, request, object_id, from_field=None):
        """The row, without the references the user may not read (shown as none)."""
        row = super().get_object(request, object_id, from_field)
        return None if row is None else references.without_unreadable(row, self._references())

    def _references(self) -> list[models.ForeignKey]:
        """The model's foreign keys to placed models (district rights), but ``legacy``,
        whose referred row the placement does not imply readable on every version
        (:func:`backend.references.implies_readable`: a location's ``parent``)."""
        return [
            field
            for field in self.model._meta.concrete_fields
            if isinstance(field, models.ForeignKey)
            and field.name != "legacy"
            and rights.placement_of(field.related_model) is not None
            and not references.implies_readable(self.model, field.name)
        ]

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._is_writable(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._is_writable(request, obj)

    @staticmethod
    def _is_writable(request, obj) -> bool:
        """A current row the user may change (the services check it again on save)."""
        return obj is None or (obj.validity_to is None and rights.is_writable(request.user, obj))

    # -- the form ------------------------------------------------------------------

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.lengths_checked_by_service:
            kwargs["max_length"] = None
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.validator = staticmethod(self.validate)
        form.refusal = tuple(getattr(request, _REFUSAL, ()))
        return form

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *self.version_fields, "versions")

    def _unseen(self, request) -> set[str]:
        """The model's foreign keys to models whose rows ``request.user`` may not view
        (:func:`backend.rights.view_permission`): the lists and forms leave them out."""
        return {
            field.name
            for field in self.model._meta.concrete_fields
            if isinstance(field, models.ForeignKey)
            and field.name not in ("audit_user", "legacy")
            and not request.user.has_perm(rights.view_permission(field.related_model))
        }

    def get_list_display(self, request):
        """The columns but those the user may not view; a reference column shows none
        where the user may not read the row (:meth:`get_queryset`'s flags)."""
        unseen = self._unseen(request)
        checked = {field.name: field for field in self._references()}
        return [
            _reference_column(checked[name]) if name in checked else name
            for name in super().get_list_display(request)
            if name not in unseen
        ]

    def get_list_select_related(self, request):
        selected = super().get_list_select_related(request)
        if isinstance(selected, (list, tuple)):
            unseen = self._unseen(request)
            return [name for name in selected if name not in unseen]
        return selected

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A reference picks among the rows the user may read (district rights): an id
        outside them is refused as an unknown one."""
        if "queryset" not in kwargs and db_field.name not in ("audit_user", "legacy"):
            related = db_field.related_model
            kwargs["queryset"] = rights.readable(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        unseen = self._unseen(request)
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f not in unseen]})
            for name, options in self.editable_fieldsets
        ]
        if obj is not None:
            opened = [OPENED_VERSION] if self.has_change_permission(request, obj) else []
            fieldsets += [
                ("Version", {"fields": [*self.version_fields, *opened]}),
                ("History: earlier versions, newest first", {"fields": ["versions"]}),
            ]
        return fieldsets

    # -- writes through the services ---------------------------------------------------

    def save_model(self, request, obj, form, change):
        """Write through the module's service: a change only while the row is still the
        version the form was opened on, compared under the one row lock the write takes
        (the service's, or :meth:`unchanged`'s when nothing changes)."""
        if change:
            opened = form.opened_version()
            saved = as_opened(opened, lambda: self.change(request, obj, form, opened), self.model)
            if saved is None:
                saved = as_opened(opened, lambda: self.unchanged(request, obj, opened), self.model)
        else:
            saved = refused(lambda: self.create(request, form))
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def unchanged(self, request, obj, opened: datetime | None) -> models.Model:
        """The current row ``obj`` of a save that changes nothing: as it is when no
        version is compared (``opened`` None), else locked for the admin's transaction
        once the user may change it and it is still the version valid from ``opened``
        (:func:`backend.concurrency.lock_for_change`, as a service's write)."""
        if opened is None:
            return self.model._default_manager.get(pk=obj.pk)
        return concurrency.lock_for_change(self.model, obj.uuid, user=request.user, expected=opened)

    def save_related(self, request, form, formsets, change):
        """No related rows are written by these admins (the service wrote the row)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        token = self.viewing(request.user, self._unseen(request))  # the history table too
        try:
            response = self._form_with_refusals(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # the history table is built while rendering
            return response
        finally:
            self.shown(token)

    def _form_with_refusals(self, request, object_id, form_url, extra_context):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refusal:
            # The transaction is rolled back; show the form again with the service's errors.
            setattr(request, _REFUSAL, refusal.errors)
            for error in refusal.errors:
                if error.code == "PERMISSION_DENIED":
                    self.message_user(request, error.message, messages.ERROR)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_model(self, request, obj):
        """Delete through the module's service, only while the row is still the version
        the confirmation page was opened on (its ``expected_validity_from``; none posted:
        no check); a version that is no zoned time is refused (``INVALID_VERSION``)."""
        try:
            opened = parse_opened_version(request.POST.get(OPENED_VERSION, ""))
        except ValidationError as error:
            raise ServiceRefused([FieldError(None, error.code, error.message)]) from error
        as_opened(opened, lambda: self.delete(request, obj, opened), self.model, then=DELETE_AGAIN)

    def delete_queryset(self, request, queryset):
        """Delete every row through the service; all or nothing.

        Every refusal is collected (each service call is its own savepoint), then the
        whole delete is rolled back when there was one.
        """
        problems = []
        for obj in self.delete_order(queryset):
            try:
                refused(lambda obj=obj: self.delete(request, obj))
            except ServiceRefused as refusal:
                problems += [
                    FieldError(None, error.code, f"{obj}: {error.message}")
                    for error in refusal.errors
                ]
        if problems:
            raise ServiceRefused(problems)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refusal:
            self.message_user(request, f"Not deleted: {refusal}", messages.ERROR)
            opts = self.opts
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[object_id],
                current_app=self.admin_site.name,
            )
            return HttpResponseRedirect(url)

    @admin.action(permissions=["delete"], description="Delete selected %(verbose_name_plural)s")
    def delete_selected(self, request, queryset):
        """Django's delete action, all or nothing, through :meth:`delete_queryset`."""
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return actions.delete_selected(self, request, queryset)
        except ServiceRefused as refusal:
            self.message_user(request, f"Nothing was deleted: {refusal}", messages.ERROR)
            return None

    def get_deleted_objects(self, objs, request):
        """What a delete touches: only the rows themselves (their ``validity_to`` is set).

        Django's default lists the related rows a hard delete would remove or be
        protected by; nothing is removed here, and the service decides what is refused
        (children, payers, a history row, a missing permission), with its own message.
        """
        objs = list(objs)
        opts = self.model._meta
        to_delete = [f"{opts.verbose_name.capitalize()}: {obj} (kept as history)" for obj in objs]
        return to_delete, {opts.verbose_name_plural: len(objs)}, set(), []


def _reference_column(relation: models.ForeignKey) -> Callable[[models.Model], Any]:
    """A list column showing the row ``relation`` refers to, none (the empty value)
    where the row's flag says the user may not read it (a history version's former
    parent outside the user's districts)."""

    @admin.display(description=capfirst(relation.verbose_name), ordering=relation.name)
    def column(row: models.Model) -> Any:
        return getattr(references.without_unreadable(row, [relation]), relation.name)

    return column
