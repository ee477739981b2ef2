"""The read-only history displays of a versioned row's change page in the admin.

openIMIS keeps every version of a row (DESIGN.md §5): a history row has ``validity_to``
set and ``legacy_id`` naming its current row. :class:`HistoryDisplay` gives an admin the
"current version", "changed by" and "earlier versions" fields that show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join


class HistoryDisplay:
    """Read-only fields of a versioned row (``validity_to``, ``legacy`` -> ``history``)
    for a ``ModelAdmin``: ``current_version`` (a link to the current row, or "this
    row"), ``audit_user`` (who made the change) and ``versions`` (a table of the earlier
    versions, newest first, with the fields named in ``history_columns``).
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

    @admin.display(description="current version")
    def current_version(self, obj):
        if obj.legacy_id is None:
            return "this row" if obj.validity_to is None else "this row (deleted)"
        current = type(obj)._default_manager.filter(pk=obj.legacy_id).first()
        if current is None:
            return f"#{obj.legacy_id} (missing)"
        return format_html('<a href="{}">{}</a>', self._change_url(current), current)

    @admin.display(description="changed by")
    def audit_user(self, obj):
        return _user_label(obj.audit_user_id, _users([obj.audit_user_id]))

    @admin.display(description="earlier versions")
    def versions(self, obj):
        if obj.legacy_id is not None:
            return "This row is itself an earlier version (read-only)."
        related = [
            f for f in self.history_columns if isinstance(obj._meta.get_field(f), models.ForeignKey)
        ]
        rows = list(
            obj.history.select_related(*related).order_by("-validity_to", "-validity_from", "-pk")
        )
        if not rows:
            return "No earlier versions."
        users = _users(row.audit_user_id for row in rows)
        fields = [obj._meta.get_field(name) for name in self.history_columns]
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
                    format_html_join(
                        "", "<td>{}</td>", ((_display(row, f),) for f in self.history_columns)
                    ),
                    _user_label(row.audit_user_id, users),
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
    field = row._meta.get_field(name)
    if field.choices:
        return getattr(row, f"get_{name}_display")()
    value = getattr(row, name)
    return "-" if value is None else value


def _when(moment) -> str:
    return "-" if moment is None else formats.localize(timezone.localtime(moment))


def _users(ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    return get_user_model()._default_manager.in_bulk(wanted) if wanted else {}


def _user_label(user_id: int | None, users: dict[int, Any]) -> str:
    if user_id is None:
        return "-"
    user = users.get(user_id)
    return f"{user.get_username()} (#{user_id})" if user is not None else f"#{user_id}"
