"""The legacy openIMIS import and export: the contract a module maps its tables with.

A module lists :class:`LegacyTable` objects (one per legacy table it owns, e.g.
``tblLocations``) in its ``legacy`` submodule; ``manage.py import_legacy`` and
``export_legacy`` find them through :func:`active_tables`. A module never sees CSV: it
gets :class:`LegacyRow` objects, reads them by its model's fields and the openIMIS
version rules (:func:`parse_versioned`; :class:`RowParser` and :func:`parse_rows` for a
reading of its own) and writes them with :func:`save_by_id`, as the run's :class:`Plan`
decided.

The package, by concern:

- :mod:`~backend.legacy.tables`: the table contract and :func:`active_tables`;
- :mod:`~backend.legacy.rows`: rows, refusals, the state of one run;
- :mod:`~backend.legacy.values`: the legacy text form of values and the time zone;
- :mod:`~backend.legacy.parsing`: typed values of a row, limits read from the model;
- :mod:`~backend.legacy.versions`: the identity and history rules of versioned tables;
- :mod:`~backend.legacy.rules`: the services' rules applied to every imported row;
- :mod:`~backend.legacy.saving`: writing rows by id, keeping history;
- :mod:`~backend.legacy.sources` (with :mod:`~backend.legacy.files` and
  :mod:`~backend.legacy.database`): CSV, JSON and live-database sources;
- :mod:`~backend.legacy.importing` and :mod:`~backend.legacy.report`: one import run,
  all or nothing, and its report (the ``legacy_staging`` table or a JSON Lines file);
- :mod:`~backend.legacy.export`: the tables written back as legacy exports.

The names below are what a module's ``legacy`` submodule uses. This package is loaded
while Django fills its app registry (the ``legacy_staging`` app lives in it), so the
sources, the run, its report and the export (which reach models) are imported from
their own modules by the commands that use them.
"""

from backend.legacy.parsing import INT_MAX, INT_MIN, RowParser, parse_rows
from backend.legacy.rows import LegacyContext, LegacyRow, Rejection
from backend.legacy.rules import rule_rejections
from backend.legacy.saving import (
    CREATED,
    UNCHANGED,
    UPDATED,
    LoadCounts,
    Plan,
    bulk_insert,
    save_by_id,
)
from backend.legacy.tables import LegacyTable, Validate, active_tables
from backend.legacy.values import legacy_literal, legacy_text, legacy_time_zone
from backend.legacy.versions import check_versions, parse_versioned

__all__ = [
    "CREATED",
    "INT_MAX",
    "INT_MIN",
    "UNCHANGED",
    "UPDATED",
    "LegacyContext",
    "LegacyRow",
    "LegacyTable",
    "LoadCounts",
    "Plan",
    "Rejection",
    "RowParser",
    "Validate",
    "active_tables",
    "bulk_insert",
    "check_versions",
    "legacy_literal",
    "legacy_text",
    "legacy_time_zone",
    "parse_rows",
    "parse_versioned",
    "rule_rejections",
    "save_by_id",
]
