"""Admin of the location hierarchy: writes go through :mod:`modules.location.services`,
the code path of the GraphQL mutations (rules, history, permissions)."""

from django.contrib import admin
from django.utils import timezone

from backend.admin import ValidityListFilter, VersionedAdmin

from . import lookups, services
from .models import Location, UserDistrict


class LocationAdmin(VersionedAdmin):
    list_display = ["code", "name", "type", "parent", "validity_from", "validity_to"]
    list_filter = ["type", ValidityListFilter]
    search_fields = ["code", "name", "uuid"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]
    editable_fieldsets = [
        (None, {"fields": ["code", "name", "type", "parent"]}),
        (
            "Population",
            {"fields": ["male_population", "female_population", "other_population", "families"]},
        ),
    ]
    lengths_checked_by_service = ("code", "name")
    history_columns = ("code", "name", "type", "parent", *services.COUNT_FIELDS)

    def validate(self, instance):
        return services.validate(instance)

    def create(self, request, form):
        data = {
            name: form.cleaned_data.get(name)
            for name in ("code", "name", "type", *services.COUNT_FIELDS)
        }
        parent = form.cleaned_data.get("parent")
        return services.create_location(
            data, parent=parent.uuid if parent else None, user=request.user
        )

    def change(self, request, obj, form, expected):
        """A new parent alone is a move; other changes (with or without a new parent,
        e.g. a new level under a new parent) are one update: one history row per save."""
        changes = services.changes_of(Location.objects.get(pk=obj.pk), obj)
        if not changes:
            return None
        if set(changes) == {"parent_id"}:
            parent = obj.parent.uuid if obj.parent else None
            return services.move_location(
                obj.uuid, parent, user=request.user, expected_validity_from=expected
            )
        return services.update_location(
            obj.uuid, changes, user=request.user, expected_validity_from=expected
        )

    def delete(self, request, obj, expected=None):
        return services.delete_location(
            obj.uuid, user=request.user, expected_validity_from=expected
        )

    def delete_order(self, queryset):
        """Lowest levels first, so that deleting a branch does not trip over its children."""
        return queryset.order_by(Location.level_rank().desc(), "pk")

    # A region or district is written only with location.manage_upper_levels: without it
    # the admin shows them read-only (the service would refuse the save anyway).

    def _may_write(self, request, obj) -> bool:
        return (
            obj is None
            or obj.type not in services.UPPER_LEVELS
            or request.user.has_perm(services.UPPER_LEVELS_PERMISSION)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)


class UserDistrictAdmin(admin.ModelAdmin):
    """Users' districts (openIMIS tblUsersDistricts): attach a user to a district, end an
    attachment by its ``validity_to`` (a delete sets it: nothing is removed).

    Managing attachments grants rights, so it needs the global right
    (``location.all_districts``) besides the model permissions: a restricted user cannot
    attach themselves to another district.
    """

    list_display = ["user", "location", "validity_from", "validity_to"]
    list_filter = [ValidityListFilter]
    search_fields = ["user__username", "location__code", "location__name"]
    autocomplete_fields = ["location"]  # search by code or name (current districts only)
    list_select_related = ["user", "location"]
    fields = ["user", "location", "validity_from", "validity_to"]

    def _manages(self, request) -> bool:
        return request.user.has_perm(lookups.ALL_DISTRICTS)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._manages(request)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._manages(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._manages(request)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._manages(request)

    def save_model(self, request, obj, form, change):
        obj.audit_user_id = request.user.pk
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        self.delete_queryset(request, UserDistrict.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """Ends the attachments (``validity_to`` = now); no row is removed."""
        queryset.filter(validity_to__isnull=True).update(
            validity_to=timezone.now(), audit_user_id=request.user.pk
        )
