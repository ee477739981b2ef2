"""Root query fields of the location module: ``locations`` and ``location(uuid:)``."""

from __future__ import annotations

from django.db.models.functions import Lower

from backend.graphql.inputs import Sort
from backend.graphql.queries import versioned_query

from ..models import Location
from .filters import LocationFilter
from .types import LocationNode

LocationQuery = versioned_query(
    LocationNode,
    filter_input=LocationFilter,
    order_fields={
        "code": "Location code.",
        "name": Sort("Location name.", by=Lower),
        "type": Sort(
            "Level: regions, districts, municipalities, villages.", by=Location.level_rank
        ),
    },
    default_order=("code",),
)
