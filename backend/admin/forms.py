"""The form and the list filter of a versioned model's admin (:mod:`.versioned`).

:class:`VersionedForm` parses the input and shows the module's service's rule
violations on their fields; :func:`refused` (and :func:`as_opened`, for a write that
compares the version a page was opened on) turns a service refusal into
:class:`ServiceRefused`, which rolls the admin's transaction back;
:class:`ValidityListFilter` lists current or history rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import construct_instance

from backend import concurrency
from backend.datetimes import sub_microsecond_problem
from backend.errors import FieldError, ValidationFailed

#: The hidden field of the change form and of the delete confirmation holding the
#: ``validity_from`` of the version it was opened on (:meth:`VersionedForm.opened_version`).
OPENED_VERSION = "expected_validity_from"
#: How the refusal of a stale save and of a stale delete ends
#: (:func:`as_opened`).
SAVE_AGAIN = (
    "Nothing was saved: reload the page to see the current values, then make your change again."
)
DELETE_AGAIN = (
    "Nothing was deleted: look at the current values, then delete it again if you still mean to."
)


def parse_opened_version(text: str) -> datetime.datetime | None:
    """The version a form was opened on, posted as ``text`` (ISO 8601 with a zone, as the
    form carries ``validity_from``): a time with its zone, or None for an empty text (no
    check). Anything else raises ``ValidationError`` (code ``INVALID_VERSION``) saying
    to reload the page (a time finer than a microsecond too: :mod:`backend.datetimes`)."""
    if not text:
        return None
    try:
        value = None if sub_microsecond_problem(text) else datetime.datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.utcoffset() is None:
        raise ValidationError(
            f"The version this form was opened on ({text!r}) is not a time with a zone such "
            "as 2026-01-31T08:15:42.123456+00:00: reload the page and make your change again.",
            code="INVALID_VERSION",
        )
    return value


class ValidityListFilter(admin.SimpleListFilter):
    """Filter rows by openIMIS validity: current (validity_to NULL) or history."""

    title = "validity"
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [("current", "Current"), ("history", "History")]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.current()
        if self.value() == "history":
            return queryset.history()
        return queryset


class ServiceRefused(Exception):
    """A service refused a write from the admin; raised to roll the admin's transaction back."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def refused(action: Callable[[], Any]) -> Any:
    """Run a service call; turn its refusal into :class:`ServiceRefused`."""
    try:
        return action()
    except ValidationFailed as failure:
        raise ServiceRefused(failure.errors) from failure
    except PermissionDenied as denial:
        raise ServiceRefused([FieldError(None, "PERMISSION_DENIED", str(denial))]) from denial


def as_opened(
    opened: datetime.datetime | None,
    write: Callable[[], Any],
    model: type[models.Model],
    then: str = SAVE_AGAIN,
) -> Any:
    """Run ``write`` (a service call on a row of ``model`` comparing the version
    ``opened``) and return its result; a refusal raises :class:`ServiceRefused`
    (:func:`refused`), a stale version (:class:`~backend.concurrency.StaleVersion`) with
    code ``STALE_VERSION`` and a message naming both versions and ending with ``then``."""
    try:
        return refused(write)
    except concurrency.StaleVersion as stale:
        message = (
            f"This {model._meta.verbose_name} was changed since you opened it: you opened "
            f"the version valid from {opened.isoformat()}, the current one is valid from "
            f"{stale.current.isoformat()}. {then}"
        )
        raise ServiceRefused([FieldError(None, concurrency.STALE_VERSION, message)]) from stale


class VersionedForm(forms.ModelForm):
    """A ModelForm whose rules come from the module's service, not from model validation.

    The form fields parse the input (numbers, choices, required fields); the module's
    ``validate`` (set by :meth:`VersionedAdmin.get_form`) checks the rules on the unsaved
    instance. Model validation and Django's uniqueness checks are not run: the service is
    the one place the rules live (the database constraints stay as the last line).
    """

    #: ``validate(instance) -> list[FieldError]`` of the module's service.
    validator: ClassVar[Callable[[models.Model], list[FieldError]] | None] = None
    #: Errors of a service refusal to show (the form is being shown again).
    refusal: ClassVar[tuple[FieldError, ...]] = ()

    expected_validity_from = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        """A change form carries the version it was opened on (the row's
        ``validity_from``, ISO 8601 to the microsecond, as GraphQL serves it); an add
        form has none."""
        super().__init__(*args, **kwargs)
        if self.instance._state.adding or self.instance.validity_from is None:
            del self.fields[OPENED_VERSION]
        else:
            self.fields[OPENED_VERSION].initial = self.instance.validity_from.isoformat()

    def opened_version(self) -> datetime.datetime | None:
        """The ``validity_from`` of the version the change form was opened on, or None
        (an add form, or a POST without the field: no check, as GraphQL's omitted
        ``expectedValidityFrom``). Only after a successful ``is_valid()``."""
        return self.cleaned_data.get(OPENED_VERSION) or None

    def clean_expected_validity_from(self) -> datetime.datetime | None:
        """The posted version (:func:`parse_opened_version`); a value that is not one is
        refused above the form (the field is hidden), nothing written."""
        try:
            return parse_opened_version(self.cleaned_data.get(OPENED_VERSION) or "")
        except ValidationError as error:
            self.add_error(None, error)
            return None

    def _post_clean(self) -> None:
        opts = self._meta
        try:
            self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)
        except ValidationError as error:
            self._update_errors(error)
            return
        if self.refusal:
            errors = list(self.refusal)
        elif self.validator is not None:
            errors = type(self).validator(self.instance)
        else:
            errors = []
        for error in errors:
            self.add_field_error(error)

    def add_field_error(self, error: FieldError) -> None:
        """Show ``error`` on its form field, or above the form for the input as a whole.

        A field that already has an error (e.g. a number that did not parse) keeps it.
        """
        name = error.attname
        message = ValidationError(error.message, code=error.code)
        if name in self.fields:
            if name not in self.errors:
                self.add_error(name, message)
        else:
            self.add_error(None, message)
