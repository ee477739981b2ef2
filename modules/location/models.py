"""The location hierarchy of openIMIS (legacy table ``tblLocations``).

Levels, from the legacy one-letter codes: R region > D district > W municipality (ward)
> V village. Validity follows openIMIS: ``validity_to`` NULL marks the current row; a
history row has ``validity_to`` set and ``legacy_id`` holding the id of its current row.
"""

import uuid

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone


class LocationQuerySet(models.QuerySet):
    def current(self) -> "LocationQuerySet":
        """Rows with ``validity_to`` NULL (the current version of each location)."""
        return self.filter(validity_to__isnull=True)

    def below(self, ancestor_uuid: uuid.UUID) -> "LocationQuerySet":
        """Every location whose parent chain (up to three levels) contains the ancestor."""
        return self.filter(
            Q(parent__uuid=ancestor_uuid)
            | Q(parent__parent__uuid=ancestor_uuid)
            | Q(parent__parent__parent__uuid=ancestor_uuid)
        )


class Location(models.Model):
    """A location of the openIMIS hierarchy: a region, district, municipality or village."""

    class Type(models.TextChoices):
        REGION = "R", "Region"
        DISTRICT = "D", "District"
        MUNICIPALITY = "W", "Municipality"
        VILLAGE = "V", "Village"

    #: The level a location's parent must have (openIMIS: R > D > W > V).
    PARENT_TYPE = {
        Type.REGION: None,
        Type.DISTRICT: Type.REGION,
        Type.MUNICIPALITY: Type.DISTRICT,
        Type.VILLAGE: Type.MUNICIPALITY,
    }

    uuid = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="Stable external identifier."
    )
    code = models.CharField(max_length=8, help_text="Location code (LocationCode), at most 8.")
    name = models.CharField(max_length=50, help_text="Location name (LocationName), at most 50.")
    type = models.CharField(
        max_length=1, choices=Type.choices, help_text="Level: R, D, W or V (LocationType)."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The location one level up (ParentLocationId); none for a region.",
    )
    male_population = models.IntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)], help_text="Male population."
    )
    female_population = models.IntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)], help_text="Female population."
    )
    other_population = models.IntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)], help_text="Other population."
    )
    families = models.IntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)], help_text="Number of families."
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
    # A history row points at its current row (legacy column LegacyId). No database
    # constraint: legacy exports are imported as they are, validated by import_legacy.
    legacy = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_column="legacy_id",
        related_name="history",
        help_text="On a history row, the current row it is a version of (LegacyId).",
    )
    audit_user_id = models.IntegerField(
        null=True, blank=True, help_text="Id of the user who made this change (AuditUserId)."
    )

    objects = LocationQuerySet.as_manager()

    class Meta:
        db_table = "location_location"
        ordering = ["code", "pk"]
        permissions = [
            ("manage_upper_levels", "Can create or change regions and districts"),
        ]
        indexes = [models.Index(fields=["code"]), models.Index(fields=["type", "code"])]
        constraints = [
            # ignoring case, as the service and openIMIS on SQL Server (its collation)
            models.UniqueConstraint(
                Upper("code"),
                condition=Q(validity_to__isnull=True),
                name="location_current_code_upper_unique",
                violation_error_message="A current location with this code already exists.",
            ),
            models.CheckConstraint(
                condition=Q(type__in=["R", "D", "W", "V"]), name="location_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @classmethod
    def level_rank(cls) -> models.Case:
        """SQL expression ranking ``type`` by level: R 0, D 1, W 2, V 3."""
        return models.Case(
            *(models.When(type=t, then=rank) for rank, t in enumerate(cls.PARENT_TYPE)),
            output_field=models.IntegerField(),
        )

    @property
    def is_current(self) -> bool:
        return self.validity_to is None
