"""The legacy table contract, and the one place the import and export find the tables.

A module maps each legacy openIMIS table it owns (``tblLocations``, ``tblPayer``) onto
its model with a :class:`LegacyTable`; :func:`active_tables` gives the tables of the
active modules, which ``import_legacy``, ``export_legacy`` and the benchmark use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from backend.legacy.rows import LegacyContext, LegacyRow, Rejection
from backend.legacy.saving import LoadCounts, Plan, save_by_id

#: Legacy columns no table maps and every source ignores, compared ignoring case: SQL
#: Server's ``rowversion`` column ``RowId`` (``RowID`` in ``tblPayer``), which full-table
#: exports and live databases carry and which means nothing outside that database.
IGNORED_COLUMNS = frozenset({"rowid"})

Validate = Callable[
    [Iterable[LegacyRow], LegacyContext], tuple[list[models.Model], list[Rejection]]
]


@dataclass(frozen=True)
class LegacyTable:
    """How one legacy table is imported and exported; a module lists these in
    ``legacy.tables``.

    ``name``: legacy table name; the files are ``<name>.csv`` / ``<name>.json``
    (``"tblLocations"``).
    ``option``: command-line option of the file (``"locations"`` -> ``--locations``).
    ``model``: Django label of the target model (``"location.Location"``).
    ``fields``: legacy column -> model attribute (``"ParentLocationId": "parent_id"``),
    in the legacy column order; a CSV file must have exactly these columns (any order),
    and ``export_legacy`` writes them in this order. The column mapped to ``id`` is the
    legacy id, kept as primary key (:attr:`id_column`); ``ValueError`` without one.
    ``validate(rows, context) -> (objects, rejections)``: map every row to an unsaved
    model instance and list every rejected row; it must not write. ``rows`` is iterated
    once. The objects are loaded only when no table rejected anything (or, with
    ``--load-valid``, those that remain once rejected rows and their dependents are
    taken out).
    ``check() -> problems``: after every table is loaded, in the same transaction, the
    rules the table as a whole must keep (e.g. a current row's parent is current), as
    messages; any problem rolls the whole import back.
    ``load(objects, plan) -> LoadCounts``: write them as ``plan`` decided (what becomes
    of the rows already in the database, :func:`~backend.legacy.saving.plan_changes`),
    inside the caller's transaction (default :func:`save_by_id`, which a module's own
    ``load`` calls once it has set the columns it derives).
    """

    name: str
    option: str
    model: str
    fields: Mapping[str, str]
    validate: Validate
    load: Callable[[Sequence[models.Model], Plan], LoadCounts] = save_by_id
    check: Callable[[], list[str]] | None = None

    def __post_init__(self) -> None:
        if "id" not in self.fields.values():
            raise ValueError(f"Legacy table {self.name}: no column of fields maps to id.")

    @functools.cached_property
    def id_column(self) -> str:
        """The legacy id column, kept as primary key: the one ``fields`` maps to ``id``
        (``"LocationId"``)."""
        return next(column for column, attname in self.fields.items() if attname == "id")

    @functools.cached_property
    def column_of(self) -> dict[str, str]:
        """Model attribute -> legacy column, for messages (``"parent_id"`` ->
        ``"ParentLocationId"``)."""
        return {attname: column for column, attname in self.fields.items()}

    @property
    def columns(self) -> tuple[str, ...]:
        """The legacy column names, in legacy order."""
        return tuple(self.fields)

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def json_name(self) -> str:
        return f"{self.name}.json"

    def row_id(self, row: LegacyRow) -> int | None:
        """The id of ``row`` (its ``id_column``) as an int; None when NULL or not a number."""
        value = row.values.get(self.id_column)
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None


def active_tables() -> list[LegacyTable]:
    """The :class:`LegacyTable` objects of the active modules, in module order
    (``OPENIMIS_MODULES``), as their manifests declare them (``Manifest.legacy_tables``).

    Every caller in :mod:`backend.legacy` and the legacy commands takes the tables from
    here. Raises ImproperlyConfigured when a manifest lists something else than a
    LegacyTable, or when two tables share a name or a command-line option.
    """
    # Imported here: the registry may itself import this package's contract.
    from backend.registry import active_modules

    tables: list[LegacyTable] = []
    for module in active_modules():
        found = list(module.manifest.legacy_tables)
        if not all(isinstance(t, LegacyTable) for t in found):
            raise ImproperlyConfigured(
                f"Module {module.label!r}: Manifest.legacy_tables must hold "
                "backend.legacy.LegacyTable objects."
            )
        tables.extend(found)
    for attribute in ("name", "option"):
        values = [getattr(t, attribute) for t in tables]
        if len(set(values)) != len(values):
            raise ImproperlyConfigured(f"Two legacy tables share a {attribute}: {values}.")
    return tables
