"""Root query fields of the payer module: ``payers`` and ``payer(uuid:)``."""

from __future__ import annotations

from django.db.models import F, Value
from django.db.models.functions import NullIf

from backend.graphql.inputs import Sort
from backend.graphql.queries import versioned_query
from backend.registry import lookup

from .filters import PayerFilter
from .types import PayerNode


def _given(field: str):
    """The value a payer's optional text sorts by: NULL when empty (``""``) too, so that
    payers without it come last ascending (first descending) however it was left out."""
    return lambda: NullIf(F(field), Value(""))


PayerQuery = versioned_query(
    PayerNode,
    filter_input=PayerFilter,
    order_fields={  # name and email sort by the model's sort_rules (ignoring case)
        "name": "Payer name.",
        "type": "Payer type code.",
        # the location's code: ordering by it needs the permission to view locations
        "location_code": Sort(
            "Code of the payer's location (payers without one last).",
            value=lambda: lookup("location.code_of")("location"),
            of="Location",
        ),
        "validity_from": "Start of the version's validity (last change).",
        "email": Sort("E-mail (case-insensitive; none or empty last).", _given("email")),
        "phone": Sort("Phone (none or empty last).", _given("phone")),
    },
    default_order=("name",),
)
