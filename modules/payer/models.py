"""Payers of openIMIS (legacy table ``tblPayer``): organisations paying contributions.

The location is referenced by its Django label only (``"location.Location"``): this
module never imports the location module's code. Phone, fax, e-mail and address keep the
legacy distinction between NULL and the empty string.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from backend.registry import lookup
from backend.versioning import VersionedModel, VersionedQuerySet


class PayerQuerySet(VersionedQuerySet):
    def at_or_below(self, location_uuid: uuid.UUID) -> PayerQuerySet:
        """Payers at the location with this uuid or at any location below it (the
        location module's published ``subtree_at`` lookup: on payers read at an instant,
        the tree as it was then)."""
        return self.filter(lookup("location.subtree_at")(self, "location", location_uuid))


class Payer(VersionedModel):
    """A payer: a co-operative, donor, government body, local authority or other."""

    class Type(models.TextChoices):
        COOPERATIVE = "C", "Co-operative"
        DONOR = "D", "Donor"
        GOVERNMENT = "G", "Government"
        LOCAL_AUTHORITY = "L", "Local authority"
        OTHER = "O", "Other"
        PRIVATE_ORGANIZATION = "P", "Private organization"

    type = models.CharField(
        max_length=1, choices=Type.choices, help_text="Payer type: C, D, G, L, O or P (PayerType)."
    )
    name = models.CharField(max_length=100, help_text="Payer name (PayerName), at most 100.")
    # null=True on text fields keeps the legacy NULL / "" distinction (see module docstring).
    address = models.CharField(  # noqa: DJ001
        max_length=100,
        null=True,
        blank=True,
        help_text="Postal address, may span several lines (PayerAddress), at most 100.",
    )
    location = models.ForeignKey(
        "location.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payers",
        help_text="The region or district the payer belongs to (LocationId).",
    )
    phone = models.CharField(  # noqa: DJ001
        max_length=50, null=True, blank=True, help_text="Phone (Phone)."
    )
    fax = models.CharField(  # noqa: DJ001
        max_length=50, null=True, blank=True, help_text="Fax (Fax)."
    )
    email = models.CharField(  # noqa: DJ001
        max_length=50, null=True, blank=True, help_text="E-mail (eMail)."
    )

    objects = PayerQuerySet.as_manager()

    #: On every surface: names and e-mails as people read them (ignoring case).
    sort_rules = {"name": Lower, "email": Lower}

    class Meta:
        db_table = "payer_payer"
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=["C", "D", "G", "L", "O", "P"]), name="payer_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name
