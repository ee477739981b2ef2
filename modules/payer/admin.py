from django import forms
from django.contrib import admin

from backend.admin import ValidityListFilter

from .models import Payer


@admin.register(Payer)
class PayerAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "location", "phone", "email", "validity_from", "validity_to"]
    list_filter = ["type", ValidityListFilter]
    search_fields = ["name", "phone", "email", "uuid"]
    raw_id_fields = ["location"]
    readonly_fields = ["uuid"]
    list_select_related = ["location"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "address":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 5})
        return super().formfield_for_dbfield(db_field, request, **kwargs)
