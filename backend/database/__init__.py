"""The PostgreSQL engine of the project (``ENGINE = "backend.database"``): see ``base``;
the SQLite engine is ``backend.database.sqlite``."""
