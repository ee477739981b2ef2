"""A live legacy openIMIS database as a source of legacy rows.

The PostgreSQL edition of openIMIS (``postgres://user:password@host:5432/name``, quoted
table names such as ``"tblLocations"``) is read through psycopg, SQL Server
(``mssql://user:password@host:1433/name``) through pymssql, installed with the ``mssql``
extra. Connection and table problems raise ``CommandError`` naming the database (without
its password); a value no legacy column holds becomes a
:class:`~backend.legacy.rows.Rejection`.
"""

from __future__ import annotations

from datetime import tzinfo
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from django.core.management.base import CommandError

from backend.legacy.rows import LegacyRow, Rejection
from backend.legacy.tables import LegacyTable
from backend.legacy.values import legacy_text


class LegacyDatabase:
    """A live legacy openIMIS database, read table by table; use it as a context manager.

    ``url``: ``postgres://user:password@host:5432/name`` (or ``postgresql://``; any libpq
    URI, e.g. with ``?options=-csearch_path%3Dlegacy`` for another schema), or
    ``mssql://user:password@host:1433/name`` for SQL Server (needs ``pip install
    '.[mssql]'``). ``label`` is the URL without its password, for messages and reports.
    """

    SCHEMES = {"postgres": "postgresql", "postgresql": "postgresql", "mssql": "mssql"}

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in self.SCHEMES:
            raise CommandError(
                f"Unsupported legacy database URL scheme {parts.scheme!r}: use "
                "postgres://user:password@host:5432/name or mssql://user:password@host:1433/name."
            )
        self.url = url
        self.vendor = self.SCHEMES[parts.scheme]
        netloc = parts.hostname or ""
        if parts.username:
            netloc = f"{parts.username}@{netloc}"
        if parts.port:
            netloc += f":{parts.port}"
        self.label = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        self._parts = parts
        self._connection: Any = None

    def __enter__(self) -> LegacyDatabase:
        try:
            self._connection = self._connect()
        except CommandError:
            raise
        except Exception as error:  # each driver has its own error classes
            raise CommandError(
                f"Cannot connect to the legacy database {self.label}: {error}"
            ) from None
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> Any:
        if self.vendor == "postgresql":
            import psycopg

            return psycopg.connect(self.url, connect_timeout=10, autocommit=True)
        try:
            import pymssql
        except ImportError:
            raise CommandError(
                "Reading SQL Server needs the pymssql driver: pip install -e '.[mssql]' "
                "(see README, 'Moving an openIMIS database to PostgreSQL')."
            ) from None
        parts = self._parts
        return pymssql.connect(
            server=parts.hostname or "localhost",
            port=str(parts.port or 1433),
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            database=unquote(parts.path.lstrip("/")),
            login_timeout=10,
        )

    def _quote(self, name: str) -> str:
        if self.vendor == "mssql":
            return "[" + name.replace("]", "]]") + "]"
        return '"' + name.replace('"', '""') + '"'

    def read(
        self, table: LegacyTable, time_zone: tzinfo
    ) -> tuple[list[LegacyRow], list[Rejection]]:
        """Every row of ``table`` (ordered by its id column), in the legacy text form.

        Columns are matched case-insensitively; columns the table does not map (the
        :data:`~backend.legacy.tables.IGNORED_COLUMNS`, such as the legacy ``RowId``
        rowversion, which the file sources ignore too) are not read. Raises CommandError
        when the table or one of its columns is missing. Datetimes of ``timestamp without
        time zone`` columns are legacy local time; aware ones are converted into
        ``time_zone``.
        """
        name = self._quote(table.name)
        head = "SELECT TOP 0 * FROM {}" if self.vendor == "mssql" else "SELECT * FROM {} LIMIT 0"
        cursor = self._connection.cursor()
        try:
            try:
                cursor.execute(head.format(name))
            except Exception as error:
                raise CommandError(
                    f"{self.label}: cannot read table {table.name}: {str(error).strip()}"
                ) from None
            actual = {d[0].lower(): d[0] for d in cursor.description}
            missing = [c for c in table.columns if c.lower() not in actual]
            if missing:
                raise CommandError(
                    f"{self.label}: table {table.name} lacks column(s) {', '.join(missing)}."
                )
            selected = [actual[c.lower()] for c in table.columns]
            id_name = self._quote(actual[table.id_column.lower()])
            cursor.execute(
                f"SELECT {', '.join(map(self._quote, selected))} FROM {name} ORDER BY {id_name}"
            )
            rows, rejections = [], []
            source = f"{table.name}@{self.label}"
            for number, record in enumerate(cursor, start=1):
                values, reasons = {}, []
                for column, value in zip(table.columns, record, strict=True):
                    try:
                        values[column] = legacy_text(value, time_zone)
                    except TypeError as error:
                        values[column] = None
                        reasons.append(f"{column}: {error}")
                row_id = values[table.id_column]
                row = LegacyRow(source, number, f"{table.id_column} {row_id}", values, unit="row")
                if reasons:
                    rejections += [row.reject(reason) for reason in reasons]
                else:
                    rows.append(row)
            return rows, rejections
        finally:
            cursor.close()
