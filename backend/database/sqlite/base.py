"""The SQLite engine: django-prometheus' (queries counted) that ignores case as
PostgreSQL does, for every letter, not only ASCII (:mod:`backend.casefold`).

SQLite's built-in ``UPPER``, ``LOWER`` and ``LIKE`` fold ASCII only: "ÉA1" and "éa1"
were two codes and ``nameContains: "ÉÉÉ"`` missed "ééé". Here each new connection gets
two deterministic SQL functions, ``UNICODE_UPPER`` and ``UNICODE_LOWER``
(:func:`backend.casefold.sql_upper`, :func:`~backend.casefold.sql_lower`), as Django's
own SQLite engine registers its date functions, and the SQL Django writes uses them:

- the case-insensitive lookups (``iexact``, ``icontains``, ``istartswith``,
  ``iendswith``) compare ``UNICODE_UPPER(column)`` with ``UNICODE_UPPER(value)``, as
  PostgreSQL's engine compares ``UPPER(column::text)`` with ``UPPER(value)`` (``iexact``
  with ``=``, the others with ``LIKE``, its wildcards escaped as before);
- the ``Upper`` and ``Lower`` expressions (sorts, the unique index on the current
  location codes) are ``UNICODE_UPPER(...)`` and ``UNICODE_LOWER(...)``
  (:func:`unicode_functions`, the ``as_<vendor>`` hook Django documents for engines);
- ``LIKE`` is case-sensitive (``PRAGMA case_sensitive_like``), so the case-sensitive
  lookups (``startswith``, ``contains``; JSON:API ``filter[code.startswith]``) respect
  case as on PostgreSQL, where SQLite's LIKE ignored ASCII case.

A database whose index uses ``UNICODE_UPPER`` needs the function to write the indexed
rows: another program (the ``sqlite3`` shell, ``manage.py dbshell``) reads them, but an
``INSERT`` or ``UPDATE`` of a location there fails with "no such function:
UNICODE_UPPER" (README, "SQLite and concurrent writes").
"""

from __future__ import annotations

from django.db.backends.sqlite3 import base as sqlite
from django.db.backends.sqlite3.operations import DatabaseOperations
from django.db.models.functions import Lower, Upper
from django_prometheus.db.backends.sqlite3 import base

from backend.casefold import sql_lower, sql_upper

#: The SQL functions each connection gets: name -> (Python function, Django expression).
FUNCTIONS = {"UNICODE_UPPER": (sql_upper, Upper), "UNICODE_LOWER": (sql_lower, Lower)}
#: The case-insensitive lookups: each compares the folded column with the folded value.
FOLDED_LOOKUPS = ("iexact", "icontains", "istartswith", "iendswith")


def unicode_functions() -> None:
    """Compile Django's ``Upper`` and ``Lower`` on SQLite as the functions of
    :data:`FUNCTIONS` (their ``as_sqlite``; idempotent)."""
    for name, (_, expression) in FUNCTIONS.items():
        expression.as_sqlite = _compiled_as(name)


def _compiled_as(name: str):
    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function=name, **extra_context)

    return as_sqlite


class Operations(DatabaseOperations):
    """Django's SQLite operations; the case-insensitive lookups fold their column."""

    def lookup_cast(self, lookup_type: str, internal_type: str | None = None) -> str:
        """``UNICODE_UPPER(%s)`` for a lookup of :data:`FOLDED_LOOKUPS`, else Django's."""
        if lookup_type in FOLDED_LOOKUPS:
            return "UNICODE_UPPER(%s)"
        return super().lookup_cast(lookup_type, internal_type)

    def prep_for_iexact_query(self, x: str) -> str:
        """The value of an ``iexact`` as given: it is compared with ``=``, not ``LIKE``."""
        return x


class DatabaseWrapper(base.DatabaseWrapper):
    """django-prometheus' SQLite wrapper whose connections fold case as PostgreSQL."""

    ops_class = Operations
    operators = {
        **sqlite.DatabaseWrapper.operators,
        "iexact": "= UNICODE_UPPER(%s)",
        "icontains": "LIKE UNICODE_UPPER(%s) ESCAPE '\\'",
        "istartswith": "LIKE UNICODE_UPPER(%s) ESCAPE '\\'",
        "iendswith": "LIKE UNICODE_UPPER(%s) ESCAPE '\\'",
    }
    pattern_ops = {
        **sqlite.DatabaseWrapper.pattern_ops,
        "icontains": r"LIKE '%%' || UNICODE_UPPER({}) || '%%' ESCAPE '\'",
        "istartswith": r"LIKE UNICODE_UPPER({}) || '%%' ESCAPE '\'",
        "iendswith": r"LIKE '%%' || UNICODE_UPPER({}) ESCAPE '\'",
    }

    def get_new_connection(self, conn_params: dict):
        """Django's new SQLite connection with the functions of :data:`FUNCTIONS`
        (deterministic: SQLite may use them in an index) and a case-sensitive LIKE."""
        connection = super().get_new_connection(conn_params)
        for name, (function, _) in FUNCTIONS.items():
            connection.create_function(name, 1, function, deterministic=True)
        # LIKE respects case, as PostgreSQL's: ``startswith`` and ``contains`` too (the
        # case-insensitive lookups fold both sides first)
        connection.execute("PRAGMA case_sensitive_like = ON")
        return connection


unicode_functions()
