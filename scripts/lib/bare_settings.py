"""The project's settings without any middleware: bench only (``scripts/bench_fixed_cost.py``).

What serving a request costs in Django itself (handler, URL resolution, the view and
its statement) once nothing runs around the view: no metrics, security headers, CORS,
sessions, CSRF, request logs or lockouts. Never deploy it.
"""

from backend.settings import *  # noqa: F403 (the project's settings, then one change)

MIDDLEWARE: list[str] = []
