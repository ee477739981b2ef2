"""Root query fields of the payer module: ``payers`` and ``payer(uuid:)``."""

from __future__ import annotations

from backend.graphql.inputs import Sort
from backend.graphql.queries import versioned_query
from backend.registry import lookup

from .filters import PayerFilter
from .types import PayerNode

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
        "email": "E-mail (case-insensitive; none last).",
        "phone": "Phone (none last).",
    },
    default_order=("name",),
)
