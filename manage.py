#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import OperationalError, connection

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:  # a bad setting, module list or manifest
        sys.exit(f"Start-up refused: {error}")
    except OperationalError as error:
        if connection.connection is not None:  # connected: a fault of the command's work
            raise
        # the server down or unknown, the database or user missing: the cause in one line,
        # the last (the pool's workers, which log each failed attempt, stopped before)
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()
        sys.exit(f"Cannot connect to the database: {' '.join(str(error).split())}")


if __name__ == "__main__":
    main()
