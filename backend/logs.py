"""The log configuration, shared by Django's settings (:mod:`backend.settings.operations`)
and gunicorn's (:mod:`backend.gunicorn_config`), so that every line a server writes is
formatted alike: one JSON object per line (``LOG_FORMAT=json``) or coloured lines for a
terminal (``console``). Imports nothing of Django but :mod:`backend.environment`, so that
gunicorn's master can read it before Django is set up.
"""

from __future__ import annotations

import structlog

from backend.environment import env

#: The root log levels ``LOG_LEVEL`` takes (any case).
LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

#: What structlog adds to every line, its own and the standard library's.
CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
]


def log_format(debug: bool) -> str:
    """``LOG_FORMAT``, ``json`` or ``console`` (the default with ``debug``, else ``json``)."""
    return env.choice("LOG_FORMAT", ["json", "console"], default="console" if debug else "json")


def log_level() -> str:
    """``LOG_LEVEL``, one of :data:`LEVELS` (default ``INFO``)."""
    return env.choice("LOG_LEVEL", LEVELS, default="INFO")


def configure_structlog() -> None:
    """structlog's loggers hand their events to the standard library's, formatted by
    the formatters of :func:`logging_config`."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *CHAIN,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )


def logging_config(log_format: str, level: str) -> dict:
    """A ``logging.config.dictConfig`` dictionary: every logger (gunicorn's too) writes
    to stderr in ``log_format`` (``json`` or ``console``), the root at ``level``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": CHAIN,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    # tracebacks as data, without local variables (they may hold secrets)
                    structlog.processors.ExceptionRenderer(
                        structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
                    ),
                    structlog.processors.JSONRenderer(),
                ],
            },
            "console": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": CHAIN,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.dev.ConsoleRenderer(),
                ],
            },
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-axes announces itself at every start; its lockouts are warnings.
            # Django's own line for a 4xx ("Bad Request: /fhir/...") comes after the
            # request's context is gone (no request_id, user_id, ip) and repeats
            # django-structlog's request_finished, which logs every 4xx as a warning
            # with them; its 5xx lines (with them) stay.
            "axes.apps": {"level": "WARNING"},
            "django.request": {"level": "ERROR"},
            # gunicorn's own lines (start, workers, signals) through the same handler,
            # instead of the plain-text one gunicorn adds (their level: gunicorn's --log-level)
            "gunicorn.error": {"handlers": ["console"], "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "propagate": False},
        },
    }
