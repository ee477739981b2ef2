"""The read-only history displays of a versioned row's change page in the admin.

openIMIS keeps every version of a row (DESIGN.md §5): a history row has ``validity_to``
set and ``legacy_id`` naming its current row. :class:`HistoryDisplay` gives an admin the
"current version", "changed by" and "earlier versions" fields that show them.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, ClassVar

from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join

from backend import references, rights

#: The current request's user (None: every version) and the columns of
#: ``history_columns`` they may not see (set by the admin for the time of one change page:
#: :meth:`HistoryDisplay.viewing`).
_VIEWER: ContextVar[tuple[Any, frozenset[str]]] = ContextVar(
    "history_viewer", default=(None, frozenset())
)


class HistoryDisplay:
    """Read-only fields of a versioned row (``validity_to``, ``legacy`` -> ``history``)
    for a ``ModelAdmin``: ``current_version`` (a link to the current row, or "this
    row"), ``changed_by`` (who made the change) and ``versions`` (a table of the earlier
    versions the user may read, newest first, with the fields named in
    ``history_columns``).
    """

    #: Fields shown for each earlier version on the change page.
    history_columns: ClassVar[tuple[str, ...]] = ()

    def _change_url(self, obj) -> str:
        opts = obj._meta
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[obj.pk],
            current_app=self.admin_site.name,
        )

    @staticmethod
    def viewing(user: Any, hidden: set[str]) -> Any:
        """Show the history table as ``user`` may read it (the versions they may read,
        :func:`backend.rights.readable`, without the columns ``hidden``) until the returned
        token is given to :meth:`shown` (one request's change page)."""
        return _VIEWER.set((user, frozenset(hidden)))

    @staticmethod
    def shown(token: Any) -> None:
        _VIEWER.reset(token)

    @admin.display(description="current version")
    def current_version(self, obj):
        if obj.legacy_id is None:
            return "this row" if obj.validity_to is None else "this row (deleted)"
        current = type(obj)._default_manager.filter(pk=obj.legacy_id).first()
        if current is None:
            return f"#{obj.legacy_id} (missing)"
        return format_html('<a href="{}">{}</a>', self._change_url(current), current)

    @admin.display(description="changed by")
    def changed_by(self, obj):
        return _author(obj)

    @admin.display(description="earlier versions")
    def versions(self, obj):
        if obj.legacy_id is not None:
            return "This row is itself an earlier version (read-only)."
        user, hidden = _VIEWER.get()
        columns = [name for name in self.history_columns if name not in hidden]
        related = [f for f in columns if isinstance(obj._meta.get_field(f), models.ForeignKey)]
        rows = obj.history.select_related("audit_user", *related)
        if user is not None:  # a version is placed by its own values (district rights)
            foreign_keys = [obj._meta.get_field(name) for name in related]
            rows = references.with_reference_flags(rights.readable(rows, user), foreign_keys, user)
        rows = list(rows.order_by("-validity_to", "-validity_from", "-pk"))
        if not rows:
            return "No earlier versions."
        fields = [obj._meta.get_field(name) for name in columns]
        header = format_html_join(
            "",
            "<th>{}</th>",
            [("valid from",), ("valid to",), *((f.verbose_name,) for f in fields), ("by",)],
        )
        body = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td>{}<td>{}</td></tr>',
            (
                (
                    self._change_url(row),
                    _when(row.validity_from),
                    _when(row.validity_to),
                    format_html_join("", "<td>{}</td>", ((_display(row, f),) for f in columns)),
                    _author(row),
                )
                for row in rows
            ),
        )
        return format_html(
            '<table class="version-history"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
            header,
            body,
        )


def _display(row: models.Model, name: str) -> Any:
    """The value of the column ``name`` of a version: "-" for none, and for a row it
    refers to that the user may not read (``references.with_reference_flags``)."""
    field = row._meta.get_field(name)
    if field.choices:
        return getattr(row, f"get_{name}_display")()
    value = getattr(row, name)
    unreadable = getattr(row, references.reference_flag(field), True) is False
    return "-" if value is None or unreadable else value


def _when(moment) -> str:
    return "-" if moment is None else formats.localize(timezone.localtime(moment))


def _author(row: models.Model) -> str:
    """Who made the version: ``name (#id)`` for a user here, ``legacy user #id`` for an
    imported row's AuditUserID (a user of the legacy database, never looked up here)."""
    if row.audit_user_id is not None:
        return f"{row.audit_user.get_username()} (#{row.audit_user_id})"
    if row.legacy_audit_user_id is not None:
        return f"legacy user #{row.legacy_audit_user_id}"
    return "-"
