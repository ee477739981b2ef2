"""Helpers shared by the legacy import / export tests: a legacy-shaped PostgreSQL database
filled with the demo rows, FOR JSON-style exports, and table snapshots."""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from backend.legacy.files import parse_csv
from modules.location.models import Location
from modules.payer.models import Payer

#: Server on which the tests create (and drop) a legacy-shaped openIMIS database.
LEGACY_PG_SERVER = os.environ.get("LEGACY_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")

# The PostgreSQL edition of openIMIS: quoted legacy names. "RowId" stands for the
# legacy row-version column, which the import does not read.
LEGACY_DDL = """
CREATE TABLE "tblLocations" (
    "LocationId" integer PRIMARY KEY,
    "LocationUUID" uuid NOT NULL,
    "LocationCode" varchar(8),
    "LocationName" varchar(50),
    "ParentLocationId" integer,
    "LocationType" char(1) NOT NULL,
    "ValidityFrom" timestamp NOT NULL,
    "ValidityTo" timestamp,
    "LegacyId" integer,
    "AuditUserId" integer NOT NULL,
    "RowId" bytea,
    "MalePopulation" integer,
    "FemalePopulation" integer,
    "OtherPopulation" integer,
    "Families" integer
);
CREATE TABLE "tblPayer" (
    "PayerID" integer PRIMARY KEY,
    "PayerUUID" uuid NOT NULL,
    "PayerType" char(1) NOT NULL,
    "PayerName" varchar(100) NOT NULL,
    "PayerAddress" varchar(100),
    "LocationId" integer,
    "Phone" varchar(50),
    "Fax" varchar(50),
    "eMail" varchar(50),
    "ValidityFrom" timestamp NOT NULL,
    "ValidityTo" timestamp,
    "LegacyID" integer,
    "AuditUserID" integer NOT NULL,
    "RowID" bytea
);
"""

INTEGER_COLUMNS = {
    "LocationId",
    "ParentLocationId",
    "LegacyId",
    "AuditUserId",
    "MalePopulation",
    "FemalePopulation",
    "OtherPopulation",
    "Families",
    "PayerID",
    "LegacyID",
    "AuditUserID",
}


def csv_rows(path: Path) -> tuple[list[str], list[list[str | None]]]:
    """(header, rows) of a legacy CSV file, NULL as None."""
    records = [fields for _line, fields in parse_csv(path.read_text(encoding="utf-8"))]
    return records[0], records[1:]


def for_json_path(path: Path) -> str:
    """The JSON that ``SELECT ... FOR JSON PATH`` gives for a legacy CSV export: numbers
    as numbers, NULL properties left out."""
    header, rows = csv_rows(path)
    document = [
        {
            column: int(value) if column in INTEGER_COLUMNS else value
            for column, value in zip(header, row, strict=True)
            if value is not None
        }
        for row in rows
    ]
    return json.dumps(document, ensure_ascii=False)


@contextmanager
def legacy_postgres(demo: Path) -> Iterator[str]:
    """A new legacy-shaped openIMIS database holding the demo rows; yields its URL.

    Raises ``OSError`` when no PostgreSQL server answers (callers skip).
    """
    import psycopg

    name = f"leg_src_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(f"{LEGACY_PG_SERVER}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        raise OSError(f"no PostgreSQL at {LEGACY_PG_SERVER}: {error}") from None
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{LEGACY_PG_SERVER}/{name}"
    try:
        with psycopg.connect(url, autocommit=True) as legacy:
            legacy.execute(LEGACY_DDL)
            for table in ("tblLocations", "tblPayer"):
                header, rows = csv_rows(demo / f"{table}.csv")
                columns = ", ".join(f'"{c}"' for c in header)
                marks = ", ".join(["%s"] * len(header))
                with legacy.cursor() as cursor:
                    cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows)
        yield url
    finally:
        with psycopg.connect(f"{LEGACY_PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_import(*args, **options) -> tuple[str, str]:
    """Run ``import_legacy``; return (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_legacy", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def snapshot() -> tuple[list[dict], list[dict]]:
    """Every stored value of both tables."""
    return (
        list(Location.objects.order_by("pk").values()),
        list(Payer.objects.order_by("pk").values()),
    )


def wipe() -> None:
    """Empty both tables, as a fresh database would be."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM payer_payer")
        cursor.execute("DELETE FROM location_location")
