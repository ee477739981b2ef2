"""Root query fields of the location module: ``locations`` and ``location(uuid:)``."""

from __future__ import annotations

from backend.graphql.queries import versioned_query

from .filters import LocationFilter
from .types import LocationNode

LocationQuery = versioned_query(
    LocationNode,
    filter_input=LocationFilter,
    order_fields={  # name and type sort by the model's sort_rules (ignoring case; by level)
        "code": "Location code.",
        "name": "Location name.",
        "type": "Level: regions, districts, municipalities, villages.",
    },
    default_order=("code",),
)
