from django.contrib import admin

from backend.admin import ValidityListFilter

from .models import Location


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "type", "parent", "validity_from", "validity_to"]
    list_filter = ["type", ValidityListFilter]
    search_fields = ["code", "name", "uuid"]
    raw_id_fields = ["parent"]
    readonly_fields = ["uuid"]
    list_select_related = ["parent"]
