"""Liveness and readiness endpoints (django-health-check), for health checks of docker
compose, orchestrators and the federation gateway.

- ``GET /health/live``: 200 as long as the process answers HTTP; touches nothing else.
  The body is ``OK`` (``text/plain``; a probe or an operator's ``curl`` reads it, where
  django-health-check answers a browser's HTML page); ``?format=json`` (or ``Accept:
  application/json``) gives ``{}`` (no checks).
- ``GET /health/ready``: 200 when the database answers (``SELECT 1``) and every
  migration is applied; 503 otherwise. To clients that may read the metrics
  (:func:`backend.observability.may_read_internals`: ``METRICS_ALLOWED_NETWORKS``) it names
  the failed check and its whole cause (database host, port, migrations): ``?format=json``
  (or ``Accept: application/json``) gives ``{"<check>": "OK" | "<error>"}``,
  ``?format=text`` one line per check. Anyone else gets the status alone, with the same
  status code: ``{"status": "OK" | "Service Unavailable"}`` as JSON, else that word as
  plain text.
"""

from __future__ import annotations

import dataclasses
from http import HTTPStatus

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from health_check import checks
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from backend.database.base import one_line
from backend.observability import may_read_internals


@dataclasses.dataclass
class Database(checks.Database):
    """django-health-check's ``SELECT 1``, failing with the whole cause on one line
    ("couldn't get a connection after 0.01 sec: connection failed: ... Connection
    refused ..."): django-health-check keeps only what comes before its first colon."""

    def run(self) -> None:
        try:
            super().run()
        except ServiceUnavailable as unavailable:
            cause = unavailable.__cause__
            if not isinstance(cause, DatabaseError):
                raise
            raise ServiceUnavailable(one_line(cause)) from cause


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Fails while the database lacks a migration of an installed app.

    A server started before ``manage.py migrate`` (or with code newer than its database)
    is not ready: its queries would fail on missing tables or columns.
    """

    alias: str = DEFAULT_DB_ALIAS

    def run(self) -> None:
        try:
            executor = MigrationExecutor(connections[self.alias])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            raise ServiceUnavailable(f"the database cannot be read: {one_line(exc)}") from exc
        if plan:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
            more = f" and {len(plan) - 5} more" if len(plan) > 5 else ""
            raise ServiceUnavailable(f"{len(plan)} migration(s) not applied: {names}{more}")


class ReadinessView(HealthCheckView):
    """django-health-check's view, answering 503 Service Unavailable (not 500) when a
    check fails: the server works but should get no traffic yet."""

    checks = ("backend.health.Database", "backend.health.Migrations")

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        if may_read_internals(request):
            return response
        # the status alone: the causes name the database's host, port and migrations
        ready = not any(result.error for result in self.results)
        status = HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE
        phrase = "OK" if ready else status.phrase
        if request.GET.get("format") == "json" or "json" in request.headers.get("Accept", ""):
            return JsonResponse({"status": phrase}, status=status)
        return HttpResponse(f"{phrase}\n", content_type="text/plain; charset=utf-8", status=status)


class LivenessView(HealthCheckView):
    """No checks: 200 whenever the process can answer, with the body ``OK`` as plain
    text where django-health-check would render its HTML page (a probe, ``curl``, a
    browser), and ``{}`` as JSON when asked."""

    checks = ()

    def render_to_response(self, context, **response_kwargs):
        return self.render_to_response_text(response_kwargs.get("status", 200))

    def render_to_response_text(self, status):
        return HttpResponse("OK\n", content_type="text/plain; charset=utf-8", status=status)
