"""The services' rules, applied to imported rows: one source of the rules for the
writes and the import.

A module's service checks a row it writes with a rule function (``validate(obj) ->
[FieldError]``, in its ``services.py``; the character rules of :mod:`backend.text`
among them). The legacy import checks every row it reads with the same function
(:func:`rule_rejections`), so a row the import stores is one the services accept when
it is edited afterwards; a rule broken is a refusal naming the legacy column and giving
the service's own message. The related rows a rule reads (a location's parent, a
payer's location) are given as the import knows them (a row of the source or of the
database), since nothing is written before every row is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import models

from backend.errors import FieldError
from backend.legacy.rows import LegacyRow, Rejection


def column_of_field(error: FieldError, fields: Mapping[str, str]) -> str | None:
    """The legacy column of a service's error: its input field (``malePopulation``,
    ``parent``) -> the model attribute (``male_population``, ``parent_id``) -> its
    column in ``fields`` (legacy column -> attribute); None when no column maps to it."""
    attname = error.attname
    if attname is None:
        return None
    column_of = {a: column for column, a in fields.items()}
    return column_of.get(attname) or column_of.get(f"{attname}_id")


def rule_rejections(
    row: LegacyRow,
    obj: models.Model,
    rules: Callable[[models.Model], list[FieldError]],
    fields: Mapping[str, str],
    related: Mapping[str, Any],
) -> list[Rejection]:
    """``row`` refused for every error ``rules(obj)`` (a module's service validation)
    gives: ``"<column>: <the service's message>"`` (``"eMail: 'x' is not an e-mail
    address."``); [] when the service would accept ``obj``.

    ``related``: relation name -> the related object as the import knows it (the parent
    row of the source, or of the database), put in ``obj``'s relation cache for the
    check (no query, and its id attribute is left as it came) and removed after; a
    relation given as ``...`` is one whose row is unknown or refused on its own (the
    table refuses the row for that itself): the rules are checked without it (None) and
    its errors left out; rules that read a required one (``RelatedObjectDoesNotExist``
    of that relation, the row has none) are not checked at all (no rejection from them).
    Any other exception of ``rules`` propagates. ``fields``: the table's legacy column ->
    model attribute.
    """
    unknown = {name for name, value in related.items() if value is ...}
    meta = obj._meta
    for name, value in related.items():
        meta.get_field(name).set_cached_value(obj, None if value is ... else value)
    missing = tuple(
        getattr(type(obj), name).RelatedObjectDoesNotExist
        for name in unknown
        if not meta.get_field(name).null
    )
    try:
        errors = rules(obj)
    except missing:
        errors = []
    finally:
        for name in related:
            meta.get_field(name).delete_cached_value(obj)
    rejections = []
    for error in errors:
        if error.field in unknown:
            continue
        column = column_of_field(error, fields) or error.field
        rejections.append(row.reject(f"{column}: {error.message}" if column else error.message))
    return rejections
