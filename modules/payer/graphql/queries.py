"""Root query fields of the payer module: ``payers`` and ``payer(uuid:)``."""

from __future__ import annotations

import strawberry

from backend.graphql.inputs import Sort
from backend.graphql.queries import versioned_by_uuid, versioned_connection
from backend.registry import lookup

from .filters import PayerFilter, PayerOrderField
from .types import PayerNode


@strawberry.type
class PayerQuery:
    payers = versioned_connection(
        PayerNode,
        plural="payers",
        filter_input=PayerFilter,
        order_fields=PayerOrderField,
        default_order=("name",),
        order_expressions={  # name and email: the model's sort_rules (ignoring case)
            # the location's code: ordering by it needs the permission to view locations
            "location_code": Sort(
                value=lambda: lookup("location.code_of")("location"), of="Location"
            ),
        },
    )
    payer = versioned_by_uuid(PayerNode, singular="payer")
