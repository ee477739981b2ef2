"""The PostgreSQL engine of the project (``ENGINE = "backend.database"``): see ``base``."""
