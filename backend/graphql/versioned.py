"""The GraphQL type of a module's versioned model (:class:`backend.versioning.VersionedModel`):
the module declares its own fields, the core adds the fields every version has.

A module writes::

    @versioned_type(Payer, description="A payer of contributions (tblPayer).")
    class PayerNode(GuardedNode):
        view_permission = "payer.view_payer"

        name: str = strawberry_django.field(description="Payer name.")
        location: ref("Location") | None = strawberry_django.field(description="…")

and the type ``Payer`` has, in this order: ``id``; ``uuid``; the module's columns
(fields without a resolver of their own); the version fields ``validityFrom``,
``validityTo``, ``auditUser``, ``legacyAuditUserId``; the module's computed fields
(lists, connections, counts); then ``historyCount``, ``history`` and
``historyConnection``, the earlier versions of the row.
"""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Callable
from typing import Any
from uuid import UUID

import strawberry_django
from django.db.models import Model, QuerySet

from backend.graphql.audit import audit_user, legacy_audit_user_id
from backend.graphql.connection import CountedConnection
from backend.graphql.inputs import Sort
from backend.graphql.queries import related_count
from backend.graphql.relations import history_of, prefetched_connection, prefetched_list
from backend.ordering import sort_rules


def current_rows(model: type[Model], *order: str) -> Callable[[], QuerySet]:
    """Queryset factory of ``model``'s current rows ordered by the fields ``order``
    (``"-name"``: descending), each by the model's rule as in ``orderBy``
    (:func:`backend.ordering.sort_rules`: a name ignoring case), then the primary key
    (the ``queryset`` of a nested list or connection; its cursors hold the fields'
    values, :class:`~backend.graphql.cursors.Key`)."""
    rules = sort_rules(model)
    terms = [
        Sort(by=rules.get(name.removeprefix("-")))
        .key(name.removeprefix("-"), descending=name.startswith("-"))
        .order()
        for name in order
    ]
    return lambda: model._default_manager.current().order_by(*terms, "pk")


def _version_fields() -> dict[str, tuple[Any, Any]]:
    return {
        "validity_from": (
            datetime.datetime,
            strawberry_django.field(description="Start of this version's validity."),
        ),
        "validity_to": (
            datetime.datetime | None,
            strawberry_django.field(
                description="End of this version's validity; null for the current version."
            ),
        ),
        "audit_user": (str | None, audit_user()),
        "legacy_audit_user_id": (int | None, legacy_audit_user_id()),
    }


def _history_fields(node: type, model: type[Model], history: str) -> dict[str, tuple[Any, Any]]:
    noun = model._meta.verbose_name
    rows = history_of(model)
    return {
        "history_count": (
            int,
            related_count(
                "history_count",
                lambda: model._default_manager.history(),
                "legacy",
                description=f"Number of earlier versions of this {noun} (0 on a history row).",
                versions=True,
            ),
        ),
        "history": (
            list[node],
            prefetched_list("history", rows, description=history, versions=True),
        ),
        "history_connection": (
            CountedConnection[node],
            prefetched_connection(
                "history",
                rows,
                description=(
                    f"Earlier versions of this {noun}, newest first, as a Relay connection "
                    "(first/after, totalCount, keyset cursors)."
                ),
                versions=True,
            ),
        ),
    }


def _computed(value: Any) -> bool:
    """True for a field with a resolver of its own (a list, connection or count)."""
    return getattr(value, "base_resolver", None) is not None


def versioned_type(
    model: type[Model],
    *,
    description: str,
    name: str | None = None,
    history_description: str | None = None,
) -> Callable[[type], type]:
    """Decorate a ``GuardedNode`` class as the strawberry-django type of ``model`` (a
    ``VersionedModel``), named ``name`` (default: the model's class name) and described
    by ``description``; returns the decorated class.

    Adds ``uuid``, the version fields and the history fields around the fields the class
    declares, in the order the module docstring gives. ``history_description`` words the
    ``history`` field (default: "Earlier versions of this <verbose name>, newest first
    (empty on a history row)."); the other descriptions name the model's verbose name.
    """

    def decorate(cls: type) -> type:
        own = inspect.get_annotations(cls)
        noun = model._meta.verbose_name
        history = history_description or (
            f"Earlier versions of this {noun}, newest first (empty on a history row)."
        )
        uuid = {"uuid": (UUID, strawberry_django.field(description="Stable external identifier."))}
        columns = {f: (own[f], None) for f in own if not _computed(cls.__dict__.get(f))}
        computed = {f: (own[f], None) for f in own if f not in columns}
        fields = {
            **uuid,
            **columns,
            **_version_fields(),
            **computed,
            **_history_fields(cls, model, history),
        }
        for field, (_, value) in fields.items():
            if value is not None:
                setattr(cls, field, value)
        cls.__annotations__ = {field: annotation for field, (annotation, _) in fields.items()}
        node = strawberry_django.type(model, name=name or model.__name__, description=description)
        return node(cls)

    return decorate
