"""Query helpers the location module publishes to other modules (``Manifest.lookups``).

Other modules call them by name, ``backend.registry.lookup("location.subtree")``, and
never name the location model's fields or level codes themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connections
from django.db.models import CharField, F, Q
from django.db.models.functions import Length
from django.db.models.lookups import In

from backend import rights
from backend.versioning import StatementTime

from .models import PATH_STEP, Location, UserDistrict, path_slot, subtree_q
from .models import subtree_at as subtree_at_q

#: The global right: a user holding it (or a superuser) sees and changes every location
#: and what other modules place there, whatever their districts.
ALL_DISTRICTS = "location.all_districts"

# ``path__length`` in filters (Django's documented way to use Length as a transform).
CharField.register_lookup(Length)


def subtree(relation: str, ancestor_uuid: uuid.UUID, *, include_self: bool = True) -> Q:
    """A filter: rows whose location (reached through ``relation``, e.g. ``"location"``
    from a payer; ``""`` on locations) is the location with this uuid or any location
    below it, at any depth (``include_self=False``: strictly below).

    Served by the index on the materialised path; costs no query of its own. An unknown
    uuid matches nothing.
    """
    return subtree_q(relation, ancestor_uuid, include_self=include_self)


def subtree_at(queryset: Any, relation: str, ancestor_uuid: uuid.UUID) -> Q:
    """A filter for ``queryset`` (a versioned queryset): :func:`subtree` (the location
    with this uuid or below it, through ``relation``), in the tree as it was at the
    instant ``queryset`` is read at (``valid_at``), today's tree when it is read at none.
    Costs no query of its own."""
    if queryset.valid_instant is None:
        return subtree(relation, ancestor_uuid)
    connection = connections[queryset.db]
    return subtree_at_q(relation, [ancestor_uuid], queryset.valid_instant, connection)


def depth(location: Location) -> int:
    """The level of a location instance, counted from the top: 0 region, 1 district,
    2 municipality, 3 village (openIMIS tblLocations levels R, D, W, V)."""
    return location.depth


def at_depth(relation: str, depths: set[int] | list[int]) -> Q:
    """A filter: rows whose location (through ``relation``) is at one of ``depths``
    (0 = the top level), by the length of its materialised path."""
    prefix = f"{relation}__" if relation else ""
    return Q(**{f"{prefix}path__length__in": [PATH_STEP * (d + 1) for d in depths]})


def subtrees(relation: str, ancestor_uuids: Iterable[uuid.UUID], *, include_self: bool = True) -> Q:
    """A filter: rows whose location (through ``relation``) is in the subtree of any of
    these locations (:func:`subtree` for each, OR-ed; no uuid: matches nothing)."""
    matches = Q(pk__in=[])
    for key in ancestor_uuids:
        matches |= subtree_q(relation, key, include_self=include_self)
    return matches


def require_known(
    named: Mapping[str, Iterable[uuid.UUID | None]], user: Any, *, action: str | None = None
) -> None:
    """Raise ``UserInputError`` naming every uuid that no location row (current or
    history) visible to ``user`` has: ``named`` maps an input field (``"filter.parent"``)
    to the uuids it gives (None ignored). A location outside the user's districts is
    answered exactly as an unknown uuid. Raises ``PermissionDenied`` naming
    ``location.view_location`` (and ``action``, what it was needed for) when a uuid is
    given and the user may not view locations, whatever the uuid
    (:func:`backend.rights.require_known`). One query for all of them; none when no
    uuid is given.

    Message: ``"filter.parent: no location has uuid <uuid>."``, several joined by ``"; "``.
    """
    rights.require_known(Location, named, user, action=action)


def code_of(relation: str) -> F:
    """An expression to sort rows by their location's code (through ``relation``)."""
    return F(f"{relation}__code")


def in_scope_of(user: Any, relation: str = "", *, write: bool = False) -> Q | None:
    """The district rights of ``user`` as a filter, or None when the user is not
    restricted (a superuser, or a holder of :data:`ALL_DISTRICTS`).

    The rule, from openIMIS (openimis-be-location_py ``location/models.py``:
    ``LocationManager.allowed``, ``build_user_location_filter_query``,
    ``extend_allowed_locations``): a user is attached to districts
    (:class:`~modules.location.models.UserDistrict`, valid now); the locations *in scope*
    are those districts and every location below them. ``relation`` is the path from
    the filtered rows to their location: ``""`` when the rows are locations, e.g.
    ``"location"`` from a payer.

    - ``write=True``: rows in scope (locations in scope; rows placed at a location in
      scope). A row placed at no location is out of scope.
    - ``write=False`` (reading) adds, read-only: on locations, the ancestors of the
      user's districts (the region above each, for display); on other rows, those placed
      at no location (openIMIS shows them to every user). Rows placed at such an ancestor
      are not visible (openIMIS: only the districts' subtrees, ``strict``).

    A user without a valid attachment sees no location. One subquery over the user's
    attachments (served by the index of the locations' district slot); costs no query
    of its own.
    """
    if user.is_superuser or user.has_perm(ALL_DISTRICTS):
        return None
    districts = Location.objects.current().filter(
        type=Location.Type.DISTRICT,
        pk__in=UserDistrict.objects.valid_at(StatementTime())
        .filter(user_id=user.pk)
        .values("location_id"),
    )
    in_scope = Q(In(path_slot(1), districts.annotate(_slot=path_slot(1)).values("_slot")))
    if not relation:
        if write:
            return in_scope
        return in_scope | Q(path__in=districts.annotate(_region=path_slot(0)).values("_region"))
    placed = Q(**{f"{relation}__in": Location.objects.filter(in_scope).values("pk")})
    if write:
        return placed
    return placed | Q(**{f"{relation}__isnull": True})
