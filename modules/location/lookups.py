"""Query helpers the location module publishes to other modules (``Manifest.lookups``).

Other modules call them by name, ``backend.registry.lookup("location.subtree")``, and
never name the location model's fields or level codes themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from django.db.models import CharField, F, Q
from django.db.models.functions import Length

from backend.errors import UserInputError

from .models import PATH_STEP, Location, subtree_q

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


def require_known(named: Mapping[str, Iterable[uuid.UUID | None]]) -> None:
    """Raise ``UserInputError`` naming every uuid that no location row (current or
    history) has: ``named`` maps a filter field (``"filter.parent"``) to the uuids it
    gives (None ignored). One query for all of them; none when no uuid is given.

    Message: ``"filter.parent: no location has uuid <uuid>."``, several joined by ``"; "``.
    """
    given = {key for keys in named.values() for key in keys if key is not None}
    if not given:
        return
    known = set(Location.objects.filter(uuid__in=given).values_list("uuid", flat=True))
    problems = [
        f"{field}: no location has uuid {key}"
        for field, keys in named.items()
        for key in keys
        if key is not None and key not in known
    ]
    if problems:
        raise UserInputError("; ".join(problems) + ".")


def code_of(relation: str) -> F:
    """An expression to sort rows by their location's code (through ``relation``)."""
    return F(f"{relation}__code")
