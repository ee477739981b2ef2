"""The staging table of ``manage.py import_legacy``: every row of every run, as it came;
and the legacy time zone the imported data were read in (:class:`RecordedTimeZone`).

On PostgreSQL each import run writes one :class:`StagingRow` per source row (loaded,
unchanged, refused or not loaded), with the raw values in a JSONB column, so that an
operator can ask with SQL what came in and why a row was refused (README, "Moving an
openIMIS database to PostgreSQL"). On SQLite the command writes the same records to a
JSON Lines file instead.

Why a small app of its own and not a model of a module or of the core app: the staging
table belongs to the import machinery, which is core code (``backend/legacy/``), but
it holds no domain data; keeping it in its own app (label ``legacy_staging``) keeps the core
app free of tables and lets the tables be dropped with ``migrate legacy_staging zero``
once a migration is over (the recorded zone goes with them: the next import then finds
imported rows without a zone and asks for ``--time-zone-change``).
"""

from django.db import models


class StagingRow(models.Model):
    """One legacy source row of one import run, with what became of it."""

    class Outcome(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated (old values kept as history)"
        UNCHANGED = "unchanged", "unchanged"
        REFUSED = "refused", "refused"
        NOT_LOADED = "not loaded", "valid, but not loaded (the run was refused)"

    run = models.UUIDField(db_index=True, help_text="The import run.")
    started_at = models.DateTimeField(help_text="When the run started.")
    source = models.CharField(max_length=500, help_text="File name or database URL.")
    table = models.CharField(max_length=64, help_text="Legacy table, e.g. tblLocations.")
    position = models.IntegerField(help_text="Line (CSV) or row number (JSON, database).")
    key = models.CharField(max_length=100, help_text="The row's legacy id, e.g. LocationId 17.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.TextField(blank=True, default="", help_text="Why it was refused.")
    row = models.JSONField(help_text="The raw row: legacy column -> text or null.")

    class Meta:
        db_table = "legacy_staging"
        ordering = ["run", "table", "position"]
        indexes = [models.Index(fields=["run", "outcome"])]

    def __str__(self) -> str:
        return f"{self.table} {self.key}: {self.outcome}"


class RecordedTimeZone(models.Model):
    """The legacy time zone the imported data were read in: one row (id 1), written by
    the first import that stores rows and by one run with ``--time-zone-change``
    (:mod:`backend.legacy.zone`); ``import_legacy`` and ``export_legacy`` refuse to run
    in another zone without that option."""

    name = models.CharField(max_length=64, help_text="IANA name, e.g. Africa/Dar_es_Salaam.")
    recorded_at = models.DateTimeField(help_text="When the import that recorded it ran.")

    class Meta:
        db_table = "legacy_time_zone"

    def __str__(self) -> str:
        return self.name
