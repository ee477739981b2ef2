"""Trigram indexes for case-insensitive "contains" searches, on PostgreSQL only.

A filter such as ``payers(filter: {nameContains: "farmers"})`` becomes Django's
``name__icontains``, which PostgreSQL runs as ``UPPER(name::text) LIKE UPPER('%farmers%')``:
no B-tree index serves a pattern with a leading ``%``, so every search read the whole
table twice (the page, then ``totalCount``). A GIN index of trigrams (the ``pg_trgm``
extension, shipped with PostgreSQL) on exactly that expression,
``UPPER(column::text) gin_trgm_ops``, serves such patterns of 3 characters or more (and
the ``OR`` of several of them, a ``search``), for the page and the count alike.

:func:`trigram_indexes` gives a module's migration the operations: create the extension
(Django's ``TrigramExtension``, a no-op when it exists or the database is not PostgreSQL),
then the indexes (``CREATE INDEX IF NOT EXISTS <table>_<column>_trgm``). On SQLite (or
any other database) the operations do nothing. ``CREATE EXTENSION pg_trgm`` needs a role
allowed to create it: pg_trgm is a trusted extension since PostgreSQL 13, so a role with
``CREATE`` on the database suffices; otherwise a superuser runs
``CREATE EXTENSION IF NOT EXISTS pg_trgm;`` once before ``migrate`` (README, "Search
indexes").
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def _index_name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"[:63]  # PostgreSQL's identifier limit


def _statements(apps: Any, model_label: str, fields: tuple[str, ...], create: bool) -> list:
    model = apps.get_model(model_label)
    table = model._meta.db_table
    statements = []
    for name in fields:
        column = model._meta.get_field(name).column
        index = _index_name(table, column)
        statements.append(
            f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            if create
            else f'DROP INDEX IF EXISTS "{index}"'
        )
    return statements


def trigram_indexes(model_label: str, *fields: str) -> list:
    """Migration operations adding a trigram GIN index on ``UPPER(<field>::text)`` for
    each of ``fields`` of the model ``model_label`` (``"payer.Payer"``), on PostgreSQL
    only (reversible: the backwards step drops the indexes, not the extension)."""

    def run(create: bool):
        def operation(apps: Any, schema_editor: Any) -> None:
            if schema_editor.connection.vendor != "postgresql":
                return
            for statement in _statements(apps, model_label, fields, create):
                schema_editor.execute(statement)

        return operation

    return [TrigramExtension(), migrations.RunPython(run(True), run(False))]
