"""Payers of openIMIS (legacy table ``tblPayer``): organisations paying contributions.

The location is referenced by its Django label only (``"location.Location"``): this
module never imports the location module's code. Phone, fax, e-mail and address keep the
legacy distinction between NULL and the empty string.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class PayerQuerySet(models.QuerySet):
    def current(self) -> "PayerQuerySet":
        """Rows with ``validity_to`` NULL (the current version of each payer)."""
        return self.filter(validity_to__isnull=True)

    def at_or_below(self, location_uuid: uuid.UUID) -> "PayerQuerySet":
        """Payers at the location or at any location below it (up to three levels)."""
        return self.filter(
            Q(location__uuid=location_uuid)
            | Q(location__parent__uuid=location_uuid)
            | Q(location__parent__parent__uuid=location_uuid)
            | Q(location__parent__parent__parent__uuid=location_uuid)
        )


class Payer(models.Model):
    """A payer: a co-operative, donor, government body, local authority or other."""

    class Type(models.TextChoices):
        COOPERATIVE = "C", "Co-operative"
        DONOR = "D", "Donor"
        GOVERNMENT = "G", "Government"
        LOCAL_AUTHORITY = "L", "Local authority"
        OTHER = "O", "Other"
        PRIVATE_ORGANIZATION = "P", "Private organization"

    uuid = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="Stable external identifier."
    )
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
    validity_from = models.DateTimeField(
        default=timezone.now, help_text="Start of this version's validity (ValidityFrom)."
    )
    validity_to = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="End of this version's validity (ValidityTo); null for the current row.",
    )
    # A history row points at its current row (legacy column LegacyID); no database
    # constraint, as for locations.
    legacy = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_column="legacy_id",
        related_name="history",
        help_text="On a history row, the current row it is a version of (LegacyID).",
    )
    audit_user_id = models.IntegerField(
        null=True, blank=True, help_text="Id of the user who made this change (AuditUserID)."
    )

    objects = PayerQuerySet.as_manager()

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
