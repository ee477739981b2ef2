"""Admin of payers: writes go through :mod:`modules.payer.services`, the code path of the
GraphQL mutations (rules, history, permissions)."""

from django import forms

from backend.admin import ValidityListFilter, VersionedAdmin

from . import services
from .models import Payer

TEXTS = ("name", "type", "address", "phone", "fax", "email")


class PayerAdmin(VersionedAdmin):
    list_display = ["name", "type", "location", "phone", "email", "validity_from", "validity_to"]
    list_filter = ["type", ValidityListFilter]
    search_fields = ["name", "phone", "email", "uuid"]
    raw_id_fields = ["location"]
    list_select_related = ["location"]
    editable_fieldsets = [(None, {"fields": [*TEXTS[:2], "location", *TEXTS[2:]]})]
    lengths_checked_by_service = tuple(services.LIMITS)
    history_columns = (*TEXTS, "location")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "address":
            # The address keeps its lines and surrounding white space, as in the mutations.
            kwargs.update(widget=forms.Textarea(attrs={"rows": 5}), strip=False)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def validate(self, instance):
        return services.validate(instance)

    def create(self, request, form):
        data = {name: form.cleaned_data.get(name) for name in TEXTS}
        location = form.cleaned_data.get("location")
        return services.create_payer(
            data, location=location.uuid if location else None, user=request.user
        )

    def change(self, request, obj, form, expected):
        before = Payer.objects.get(pk=obj.pk)
        # changed_data, not a comparison with the row: a legacy "" left empty in the form
        # stays "" (the form would read it as None).
        changes = {n: getattr(obj, n) for n in TEXTS if n in form.changed_data}
        location = services.UNCHANGED
        if "location" in form.changed_data and obj.location_id != before.location_id:
            location = obj.location.uuid if obj.location else None
        if not changes and location is services.UNCHANGED:
            return None
        return services.update_payer(
            obj.uuid,
            changes,
            location=location,
            user=request.user,
            expected_validity_from=expected,
        )

    def delete(self, request, obj, expected=None):
        return services.delete_payer(obj.uuid, user=request.user, expected_validity_from=expected)
