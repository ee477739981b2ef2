"""Admin helpers shared by the modules."""

from django.contrib import admin


class ValidityListFilter(admin.SimpleListFilter):
    """Filter rows by openIMIS validity: current (validity_to NULL) or history."""

    title = "validity"
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [("current", "Current"), ("history", "History")]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.filter(validity_to__isnull=True)
        if self.value() == "history":
            return queryset.filter(validity_to__isnull=False)
        return queryset
