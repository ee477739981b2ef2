"""The location hierarchy of openIMIS (legacy table ``tblLocations``).

Levels, from the legacy one-letter codes: R region > D district > W municipality (ward)
> V village. Validity follows openIMIS: ``validity_to`` NULL marks the current row; a
history row has ``validity_to`` set and ``legacy_id`` holding the id of its current row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Lower, Substr, Upper
from django.db.models.lookups import Exact

from backend.versioning import VersionedModel, VersionedQuerySet


class LocationQuerySet(VersionedQuerySet):
    def below(self, ancestor_uuid: uuid.UUID) -> LocationQuerySet:
        """Every location under the one with this uuid, at any depth (itself excluded)."""
        return self.below_any([ancestor_uuid])

    def below_any(self, ancestor_uuids: Iterable[uuid.UUID]) -> LocationQuerySet:
        """Every location under any of the ones with these uuids, at any depth (themselves
        excluded; no uuid: nothing). On rows read at an instant (``valid_at``), the tree
        as it was then (:func:`subtree_at`); otherwise today's materialised paths."""
        keys = list(ancestor_uuids)
        if self.valid_instant is not None:
            moment, connection = self.valid_instant, connections[self.db]
            return self.filter(subtree_at("parent", keys, moment, connection))
        matches = Q(pk__in=[])
        for key in keys:
            matches |= subtree_q("", key, include_self=False)
        return self.filter(matches)


def subtree_at(relation: str, ancestor_uuids: list[uuid.UUID], moment, connection) -> Q:
    """A filter: rows whose location (reached by ``relation``: ``"parent"`` for a
    location's parent, ``"location"`` from a payer) was, at ``moment`` (an aware
    datetime), one of the locations with these uuids or below them at any depth
    (``connection``: the database's; no uuid: nothing).

    The materialised paths are today's (a move rewrites the paths of the whole subtree,
    history rows too), so the tree at ``moment`` is followed by its ``parent`` links: a
    recursive subquery over the versions valid at ``moment``. A location is named by the
    id of its current row (``legacy_id`` on a history row, else ``id``), which is what
    every version's ``parent_id`` (and a payer's ``location_id``) holds; a uuid of a
    history row names its location. Costs no query of its own."""
    if not ancestor_uuids:
        return Q(pk__in=[])
    table = connection.ops.quote_name(Location._meta.db_table)
    field = Location._meta.get_field("uuid")
    keys = [field.get_db_prep_value(key, connection) for key in ancestor_uuids]
    instant = connection.ops.adapt_datetimefield_value(moment)
    sql = (
        f"WITH RECURSIVE tree (node_id) AS ("
        f"SELECT COALESCE(a.legacy_id, a.id) FROM {table} a "
        f"WHERE a.uuid IN ({', '.join(['%s'] * len(keys))}) "
        f"UNION SELECT COALESCE(c.legacy_id, c.id) FROM {table} c "
        f"JOIN tree ON c.parent_id = tree.node_id WHERE c.validity_from <= %s "
        f"AND (c.validity_to IS NULL OR c.validity_to > %s)"
        f") SELECT node_id FROM tree"
    )
    return Q(**{f"{relation}_id__in": RawSQL(sql, [*keys, instant, instant])})


def subtree_q(relation: str, ancestor_uuid: uuid.UUID, *, include_self: bool = True) -> Q:
    """Rows whose location (reached by ``relation``, "" for a Location queryset itself,
    ``"location"`` from a payer) is the location with this uuid or below it at any depth.

    A range on the materialised ``path`` (ancestors' uuids, root first), which a B-tree
    index serves: the descendants of a node with path P are the paths that start with P,
    that is ``P <= path < P || 'z'`` (a path has only hex digits). The ancestor's path is a
    subquery, so the filter costs no query of its own; an unknown uuid matches nothing.
    """
    prefix = f"{relation}__" if relation else ""
    ancestor = Subquery(
        Location.objects.filter(uuid=ancestor_uuid).order_by().values("path")[:1],
        output_field=models.CharField(),
    )
    lower = "gte" if include_self else "gt"
    return Q(
        **{
            f"{prefix}path__{lower}": ancestor,
            f"{prefix}path__lt": Concat(ancestor, Value(PATH_END)),
        }
    )


def normalize_code(code: str | None) -> str:
    """A location code as stored and as looked up: without surrounding white space
    ("" for None). The one rule for codes, used by the writes (create, update) and by the
    exact-code filter, so that a code that looks free is free (issue 11, item 12).
    Uniqueness and lookups then compare case-insensitively, as openIMIS on SQL Server."""
    return (code or "").strip()


#: Sorts after every hex digit in the byte order and in the collations of PostgreSQL
#: and SQLite (digits and letters only: no ignorable punctuation).
PATH_END = "z"
#: Characters of the path per level (a uuid in 32 hex digits).
PATH_STEP = 32


def duplicate_code_message(code: str, existing: str | None) -> str:
    """Why ``code`` is refused as a current location's code: the code of the current
    location that holds it (``existing``, None when unknown), which may differ from
    ``code`` in case only (codes are unique ignoring case). One text for every surface:
    the services, the constraint, FHIR, JSON:API, the admin."""
    if existing is None or existing == code:
        return f"A current location already has the code {code!r}."
    return (
        f"A current location already has the code {existing!r} "
        f"(codes are unique ignoring case, so {code!r} is taken)."
    )


def current_code_holder(code: str, *, exclude_pk: int | None = None, using: str = "default"):
    """The code of the current location whose code equals ``code`` ignoring case and
    surrounding spaces (another than ``exclude_pk``), or None."""
    code = normalize_code(code)
    if not code:
        return None
    rows = Location.objects.using(using).current().filter(code__iexact=code)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.order_by("pk").values_list("code", flat=True).first()


class CurrentCodeUnique(models.UniqueConstraint):
    """The unique current code (ignoring case) whose validation message names the code
    of the location that has it (:func:`duplicate_code_message`), not the new one.

    Only ``validate`` differs (Python); it deconstructs as Django's ``UniqueConstraint``,
    so the migrations and the database index are those of before."""

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            existing = current_code_holder(instance.code, exclude_pk=instance.pk, using=using)
            message = duplicate_code_message(normalize_code(instance.code), existing)
            raise ValidationError(message, code=self.violation_error_code) from error

    def deconstruct(self):
        _path, args, kwargs = super().deconstruct()
        return "django.db.models.UniqueConstraint", args, kwargs


def path_slot(depth: int) -> Substr:
    """The uuid (hex) of a location's ancestor at ``depth`` (0 its region, 1 its
    district) in its materialised path ("" above the location's own depth). Indexed at
    depth 1 (``location_district_slot``): district rights select by it."""
    return Substr("path", PATH_STEP * depth + 1, PATH_STEP)


def compute_paths(links: Mapping[int, tuple[int | None, uuid.UUID]]) -> dict[int, str]:
    """The materialised path of every row of ``links`` (id -> (parent id, uuid)).

    Raises ``ValueError`` naming a location whose parent chain loops or names an id that
    ``links`` does not hold.
    """
    paths: dict[int, str] = {}
    for pk in links:
        chain: list[int] = []
        node: int | None = pk
        while node is not None and node not in paths:
            if node not in links or node in chain:
                raise ValueError(f"Location id {chain[-1]}: its parent chain is broken or loops.")
            chain.append(node)
            node = links[node][0]
        prefix = paths[node] if node is not None else ""
        for member in reversed(chain):
            prefix = paths[member] = prefix + links[member][1].hex
    return paths


def rebuild_paths(using: str = "default") -> int:
    """Recompute the materialised path of every location row (current and history) from
    the ``parent`` links and write those that differ, for loads that bypass ``save()``.
    Returns the number of rows written; ``ValueError`` as :func:`compute_paths`."""
    rows = Location.objects.using(using).values_list("pk", "parent_id", "uuid", "path")
    stored = {pk: path for pk, _, _, path in rows}
    paths = compute_paths({pk: (parent_id, key) for pk, parent_id, key, _ in rows})
    changed = [(path, pk) for pk, path in paths.items() if path != stored[pk]]
    if changed:
        with connections[using].cursor() as cursor:
            cursor.executemany(
                f"UPDATE {Location._meta.db_table} SET path = %s WHERE id = %s", changed
            )
    return len(changed)


class Location(VersionedModel):
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

    path = models.CharField(
        max_length=PATH_STEP * 8,
        editable=False,
        db_index=True,
        default="",
        help_text=(
            "The uuids of the location's ancestors and its own, root first, in hex "
            "(materialised path of the subtree lookups; kept by the services and the import)."
        ),
    )

    objects = LocationQuerySet.as_manager()

    #: On every surface: names as people read them (ignoring case), levels by rank.
    sort_rules = {"name": Lower, "type": lambda code: Location.level_rank(code)}

    class Meta:
        db_table = "location_location"
        ordering = ["code", "pk"]
        permissions = [
            ("manage_upper_levels", "Can create or change regions and districts"),
            (
                "all_districts",
                "Sees and changes every location, not only those of the user's districts",
            ),
        ]
        indexes = [
            models.Index(fields=["code"]),
            models.Index(fields=["type", "code"]),
            models.Index(path_slot(1), name="location_district_slot"),
        ]
        constraints = [
            # ignoring case, as the service and openIMIS on SQL Server (its collation)
            CurrentCodeUnique(
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
    def level_rank(cls, value: models.Expression | str = "type") -> models.Case:
        """SQL expression ranking a level code (``value``: default the ``type`` column;
        any expression of a code) by level: R 0, D 1, W 2, V 3."""
        code = models.F(value) if isinstance(value, str) else value
        return models.Case(
            *(models.When(Exact(code, t), then=rank) for rank, t in enumerate(cls.PARENT_TYPE)),
            output_field=models.IntegerField(),
        )

    @property
    def depth(self) -> int:
        """0 for a region, 1 for a district, 2 for a municipality, 3 for a village.

        From the materialised path; a location not saved yet has none (the legacy
        import's rows, checked before anything is written): then from its type, the
        levels being strict (:attr:`PARENT_TYPE`)."""
        if not self.path:
            return list(self.PARENT_TYPE).index(self.type)
        return len(self.path) // PATH_STEP - 1

    def save(self, *args, **kwargs) -> None:
        """Save; a new row gets its materialised path from its parent first."""
        if not self.path:
            self.path = self.path_below(self.parent)
        super().save(*args, **kwargs)

    def path_below(self, parent: Location | None) -> str:
        """This location's path under ``parent`` (None: a root)."""
        return (parent.path if parent is not None else "") + self.uuid.hex


class UserDistrict(VersionedModel):
    """A user attached to a district (openIMIS ``tblUsersDistricts``, model
    ``UserDistrict`` of openimis-be-location_py): the district rights of
    :func:`modules.location.lookups.in_scope_of`.

    An attachment counts while it is valid: ``validity_from <= now`` and ``validity_to``
    NULL or later (so an end date may be set in advance); ending it sets ``validity_to``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="districts",
        help_text="The user (UserID).",
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="user_districts",
        limit_choices_to={"type": Location.Type.DISTRICT, "validity_to__isnull": True},
        help_text="A current district (LocationId).",
    )

    class Meta:
        db_table = "location_userdistrict"
        ordering = ["user", "location__code", "pk"]
        verbose_name = "user district"
        indexes = [models.Index(fields=["user", "validity_to"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.location}"
