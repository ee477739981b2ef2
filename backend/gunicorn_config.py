"""gunicorn's configuration: ``gunicorn -c python:backend.gunicorn_config backend.wsgi``
(docker/entrypoint.sh, README "Production behind a TLS proxy").

- Its own lines (start, workers, signals) are formatted as the application's
  (``LOG_FORMAT``: one JSON object per line by default): :func:`backend.logs.logging_config`.
- :func:`on_starting`: what a worker would refuse to start with (a bad setting; with
  ``DEBUG=false`` the public ``SECRET_KEY`` or the demo credentials:
  :mod:`backend.deployment`) stops gunicorn once, in the master, on one line
  ``Start-up refused: ...``, instead of in a traceback repeated by every worker; so does
  an error of Django's system checks (``manage.py check``: e.g. corsheaders.E013, an
  origin of ``CORS_ALLOWED_ORIGINS`` without a scheme), which a WSGI server never runs.
- No access log (:class:`NoAccessLog`): the one line per request is django-structlog's
  ``request_finished`` (JSON, with ``request_id``, ``user_id``, ``ip``, status ``code``,
  secret query parameters redacted: :func:`backend.logs.redact_secrets`). gunicorn would
  otherwise write a ``gunicorn.access`` line for every request as soon as
  ``logconfig_dict`` is set, without the request id, whatever ``--access-logfile`` says.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

from django.core.exceptions import ImproperlyConfigured
from gunicorn.glogging import Logger

from backend import logs
from backend.environment import env

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

# a bad LOG_FORMAT, LOG_LEVEL or DEBUG leaves gunicorn's own format: on_starting refuses it
with contextlib.suppress(ImproperlyConfigured):
    logconfig_dict = logs.logging_config(
        logs.log_format(env.bool("DEBUG", default=False)), logs.log_level()
    )


class NoAccessLog(Logger):
    """gunicorn's logger without its access log (gunicorn's ``logger_class`` setting)."""

    access_log_enabled = False  # read by gunicorn before it builds a request's line

    def access(self, resp, req, environ, request_time) -> None:
        """Write nothing: django-structlog's ``request_finished`` is the request's line."""


logger_class = NoAccessLog

#: Run in a child process, so that the master loads neither Django nor the application
#: (its workers load them, fresh at every reload).
REFUSAL_CHECK = """
import sys
import django
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from gunicorn.glogging import Logger
try:
    django.setup()
    from backend.deployment import refuse_unsafe_production
    refuse_unsafe_production()
except ImproperlyConfigured as error:
    sys.exit(f"Start-up refused: {error}")
errors = [m for m in checks.run_checks() if m.is_serious()]
if errors:
    sys.exit("Start-up refused: " + " ".join(f"{m.id}: {m.msg}." for m in errors))
"""


def on_starting(server) -> None:
    """gunicorn's hook, in the master before any worker starts: exit (status 1) when
    the settings or :func:`backend.deployment.refuse_unsafe_production` refuse, after
    the child's one line ``Start-up refused: ...`` on stderr."""
    # without the pool, an unreachable database fails the demo-credentials lookup at once
    check = subprocess.run(
        [sys.executable, "-c", REFUSAL_CHECK], env={**os.environ, "DATABASE_POOL": "false"}
    )
    if check.returncode:
        sys.exit(check.returncode)
