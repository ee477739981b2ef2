"""The payer module's JSON:API type ``payers`` (current payers), at ``/api/payers``, and the
``payers`` relationship it adds to the location module's ``locations`` (named by type; the
location module is never imported).

Attributes: name, payerType (C/D/G/L/O/P), address, phone, fax, email, validityFrom;
relationship ``location``. Filters: ``filter[name.icontains]``, ``filter[type]``,
``filter[location.uuid]`` (payers at that location or below it, as GraphQL's
``filter.location`` and FHIR's ``location``: :meth:`.models.PayerQuerySet.at_or_below`),
``filter[search]`` (name, phone, e-mail); ``sort`` by name, type.
"""

from rest_framework_json_api import serializers

from backend.jsonapi import JsonApiResource, Relationship

from .models import Payer, PayerQuerySet


class PayerSerializer(serializers.ModelSerializer):
    # "type" is reserved by JSON:API: payerType (openIMIS's PayerType), C/D/G/L/O/P
    payer_type = serializers.CharField(source="type", read_only=True)

    class Meta:
        model = Payer
        fields = ("name", "payer_type", "address", "phone", "fax", "email", "validity_from")


payers = JsonApiResource(
    type="payers",
    model="payer.Payer",
    view_permission="payer.view_payer",
    serializer=PayerSerializer,
    relationships={"location": Relationship("locations", source="location")},
    filters={
        "name": ["exact", "icontains"],
        "type": ["exact", "in"],
        "location__uuid": ["exact"],
    },
    filter_methods={"location__uuid": PayerQuerySet.at_or_below},
    ordering=("name", "type"),
    search=("name", "phone", "email"),
)

#: ``locations.payers``: the current payers of a location (shown to users who may view
#: payers, the view permission of ``payers``).
location_payers = {"locations": {"payers": Relationship("payers", source="payers", many=True)}}
