"""Root query fields of the payer module: ``payers`` and ``payer(uuid:)``."""

from __future__ import annotations

import strawberry
from django.db.models.functions import Lower

from backend.graphql.inputs import Sort
from backend.graphql.queries import versioned_by_uuid, versioned_connection
from backend.registry import lookup

from ..models import Payer
from .filters import PayerFilter, PayerOrder, filter_payers
from .types import PayerNode


@strawberry.type
class PayerQuery:
    payers = versioned_connection(
        PayerNode,
        Payer,
        filter_input=PayerFilter,
        order_input=PayerOrder,
        apply=filter_payers,
        plural="payers",
        default_order=("name",),
        order_expressions={
            "name": Sort(by=Lower),  # case-insensitive, as people read names
            "email": Sort(by=Lower),
            "location_code": Sort(value=lambda: lookup("location.code_of")("location")),
        },
        default_order_name="name",
    )
    payer = versioned_by_uuid(PayerNode, Payer, singular="payer")
