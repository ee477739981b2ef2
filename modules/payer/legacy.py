"""Import of the legacy openIMIS table ``tblPayer`` into :class:`Payer`.

Read by ``manage.py import_legacy`` (see ``backend/legacy/tables.py`` for the contract). Rules,
from the openIMIS demo export (``shared/data/openimis-demo/README.md``) and the legacy
schema of ``tblPayer``:

- PayerID is kept as the primary key and PayerUUID as ``uuid``; history rows (ValidityTo
  set) are kept with LegacyID naming their current row.
- PayerType is C co-operative, D donor, G government, L local authority, O other or
  P private organization; PayerName (at most 100 characters) is required.
- PayerAddress (at most 100, line breaks kept byte for byte), Phone, Fax and eMail (at
  most 50 each) keep NULL and the empty string apart. PayerName, Phone, Fax and eMail
  lose their surrounding white space, as ``createPayer`` and ``updatePayer`` store them;
  each value changed so is counted in the run's summary (``trims`` of
  ``backend.legacy.parsing.parse_rows``); the length limits hold for the values as stored.
- LocationId, when set, names a location of this import or of the database. Locations
  are reached through the app registry (``"location.Location"``), never by importing the
  location module.
- Every row meets the rules the payer service applies to a write
  (:func:`.services.validate`: required values, lengths, no control or text-direction
  character, a well-formed e-mail, a location that is a current region or district), so
  an imported row can be edited afterwards; a broken rule refuses the row with the
  service's message after the column ("eMail: 'x' is not an e-mail address."). A history
  row's location need not be current now (it was when the version was); its level
  rule holds, as of the location it names.

Each column is read as the model field it maps to in ``FIELDS`` (type, length limit,
codes, whether NULL is allowed; see ``backend.legacy.parsing.reading``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.apps import apps

from backend.legacy import (
    LegacyContext,
    LegacyRow,
    LegacyTable,
    Rejection,
    parse_versioned,
    rule_rejections,
)

from . import services
from .models import Payer

MODEL = "payer.Payer"
LOCATION_MODEL = "location.Location"
#: What the payer service's rules read of a location (its level, whether it is current,
#: how it is named), loaded for the database's locations.
LOCATION_ATTRIBUTES = ("pk", "type", "path", "code", "name", "validity_to")
#: Legacy column -> Payer attribute, in the legacy column order.
FIELDS = {
    "PayerID": "id",
    "PayerUUID": "uuid",
    "PayerType": "type",
    "PayerName": "name",
    "PayerAddress": "address",
    "LocationId": "location_id",
    "Phone": "phone",
    "Fax": "fax",
    "eMail": "email",
    "ValidityFrom": "validity_from",
    "ValidityTo": "validity_to",
    "LegacyID": "legacy_id",
    "AuditUserID": "legacy_audit_user_id",
}
COLUMNS = tuple(FIELDS)
#: The one-line texts, stored as createPayer and updatePayer store them (the address
#: keeps its lines byte for byte).
TRIMS = dict.fromkeys(["PayerName", "Phone", "Fax", "eMail"], str.strip)


def validate(
    rows: Iterable[LegacyRow], context: LegacyContext
) -> tuple[list[Payer], list[Rejection]]:
    """``tblPayer`` rows -> (unsaved Payers, every rejection).

    Checks each row's values, the identity and history rules (``parse_versioned``), that
    LocationId names a location of this import (``context.ids``) or of the database, and
    every rule of the payer service (:func:`~.services.validate`, as a write checks it:
    required values, lengths, characters, a well-formed e-mail, a current region or
    district; a history row's location need not be current now) with the location as
    this import (``context.objects``) or the database has it.
    """
    items, rejections = parse_versioned(rows, context, MODEL, FIELDS, TRIMS)
    location = apps.get_model(LOCATION_MODEL)
    file_ids = context.ids.get(LOCATION_MODEL, set())
    # the rows a LocationId may name: the database's, unless this import replaces them
    known = {
        row.pk: row
        for row in location._default_manager.order_by().only(*LOCATION_ATTRIBUTES)
        if row.pk not in file_ids
    }
    known.update(context.objects.get(LOCATION_MODEL, {}))
    for row, obj in items:
        place = obj.location_id
        if place is not None and place not in known and place not in file_ids:
            rejections.append(row.reject(f"LocationId {place} names no location"))
        # a location of this import refused on its own: its payers are refused as dependents
        related = {
            "location": ... if place is not None and place not in known else known.get(place)
        }
        rules = partial(services.validate, history=obj.validity_to is not None)
        rejections += rule_rejections(row, obj, rules, FIELDS, related)
    return [obj for _row, obj in items], rejections


def check_locations() -> list[str]:
    """After an import, no current payer belongs to a location that is not current."""
    stale = Payer.objects.current().filter(location__validity_to__isnull=False)[:20]
    return [
        f"current payer {payer} (id {payer.pk}) belongs to history location id {payer.location_id}"
        for payer in stale
    ]


tables = (
    LegacyTable(
        name="tblPayer",
        option="payers",
        model=MODEL,
        fields=FIELDS,
        validate=validate,
        check=check_locations,
    ),
)
