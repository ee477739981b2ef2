"""Who made each version: a user of this installation or a legacy AuditUserID, kept
apart (backend/audit_migration.py says how existing rows are decided)."""

from backend.audit_migration import split_audit_user_migration

Migration = split_audit_user_migration("location", "location", "0006_user_district")
