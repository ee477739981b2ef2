"""The SQLite engine of the project (``ENGINE = "backend.database.sqlite"``): see ``base``."""
