"""The location module's JSON:API type ``locations`` (current locations), at ``/api/locations``.

Attributes: code, name, locationType (R/D/W/V), the counts, validityFrom; relationships:
``parent`` (and ``payers``, added by the payer module). Filters: ``filter[code]``,
``filter[code.startswith]``, ``filter[name.icontains]``, ``filter[type]``,
``filter[parent.uuid]``, ``filter[search]`` (code or name); ``sort`` by code, name, type.
"""

from rest_framework_json_api import serializers

from backend.jsonapi import JsonApiResource, Relationship

from .models import Location


class LocationSerializer(serializers.ModelSerializer):
    # "type" is reserved by JSON:API: the level is the attribute locationType (openIMIS's
    # LocationType), R/D/W/V
    location_type = serializers.CharField(source="type", read_only=True)

    class Meta:
        model = Location
        fields = (
            "code",
            "name",
            "location_type",
            "male_population",
            "female_population",
            "other_population",
            "families",
            "validity_from",
        )


locations = JsonApiResource(
    type="locations",
    model="location.Location",
    view_permission="location.view_location",
    serializer=LocationSerializer,
    relationships={"parent": Relationship("locations", source="parent")},
    filters={
        "code": ["exact", "startswith"],
        "name": ["exact", "icontains"],
        "type": ["exact", "in"],
        "parent__uuid": ["exact"],
    },
    ordering=("code", "name", "type"),
    search=("code", "name"),
)
