"""The log configuration, shared by Django's settings (:mod:`backend.settings.operations`)
and gunicorn's (:mod:`backend.gunicorn_config`), so that every line a server writes is
formatted alike: one JSON object per line (``LOG_FORMAT=json``) or coloured lines for a
terminal (``console``). Imports nothing of Django but :mod:`backend.environment`, so that
gunicorn's master can read it before Django is set up.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

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


#: Query parameters whose value is a secret: these names (RFC 6749 §4.1.2 ``code``,
#: RFC 6750 §2.3 ``access_token``, ...) and any name holding one of :data:`SECRET_WORDS`.
SECRET_NAMES = frozenset({"code", "key", "state", "nonce", "code_verifier", "assertion"})
SECRET_WORDS = (
    "token",
    "secret",
    "passw",
    "pwd",
    "apikey",
    "api_key",
    "credential",
    "signature",
    "session",
    "authorization",
    "csrf",
)
REDACTED = "[REDACTED]"
#: A query parameter in a URL or query string: after ``?``, ``&`` or ``;``, up to the next
#: separator, white space or quote (as in an access log's request line).
_PARAMETER = re.compile(r"(?<=[?&;])([^=&;#?\s\"']+)=([^&;#\s\"']*)")


def is_secret_parameter(name: str) -> bool:
    """Whether the query parameter ``name`` (as sent: percent-encoded, any case) holds a
    secret: one of :data:`SECRET_NAMES`, or a name with one of :data:`SECRET_WORDS`."""
    name = unquote_plus(name).lower()
    return name in SECRET_NAMES or any(word in name for word in SECRET_WORDS)


def redact(text: str) -> str:
    """``text`` with the value of every secret query parameter (:func:`is_secret_parameter`)
    replaced by :data:`REDACTED`; the names and the other values are kept."""
    if "=" not in text:
        return text
    return _PARAMETER.sub(
        lambda m: f"{m[1]}={REDACTED}" if m[2] and is_secret_parameter(m[1]) else m[0], text
    )


def _redacted(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redacted(item) for item in value)
    return value


def redact_secrets(logger, method_name: str, event_dict: dict) -> dict:
    """structlog processor, last before rendering, of every line (structlog's and the
    standard library's: django-structlog's ``request`` field, a message naming a URL):
    the secret query parameters of any text in it redacted (:func:`redact`), however
    deep in the event. Tokens in a URL (RFC 6750 §5.3) must not reach the logs."""
    return _redacted(event_dict)


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
                    redact_secrets,
                    structlog.processors.JSONRenderer(),
                ],
            },
            "console": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": CHAIN,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    redact_secrets,
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
            # (no gunicorn.access: backend.gunicorn_config turns the access log off)
            "gunicorn.error": {"handlers": ["console"], "propagate": False},
        },
    }
