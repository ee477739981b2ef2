"""The environment reader of the settings (and of the gunicorn configuration):
django-environ's ``FileAwareEnv`` (``X_FILE`` secrets) whose typed readers refuse a
value they cannot read, naming the variable, instead of failing with a bare
``ValueError`` or reading it as false.

Every refusal is an ``ImproperlyConfigured`` whose message reads
``NAME must be <kind> (got '<value>').``; ``manage.py`` prints it after
``Start-up refused:`` on one line. Imports nothing of Django but that exception, so
that it can be read before Django is set up.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Sequence

import environ
from django.core.exceptions import ImproperlyConfigured

#: What a boolean variable accepts (case and surrounding spaces ignored): django-environ's
#: true spellings (any integer but 0 is true too, as there), and their opposites.
TRUE_SPELLINGS = environ.Env.BOOLEAN_TRUE_STRINGS
FALSE_SPELLINGS = ("false", "off", "no", "n", "0")
_KINDS = {
    int: "an integer",
    float: "a number",
    bool: f"a boolean: {', '.join(TRUE_SPELLINGS)} or {', '.join(FALSE_SPELLINGS)}",
}


class _SecretFiles(environ.FileAwareMapping):
    """django-environ's ``X_FILE`` lookup, refusing ``X`` and ``X_FILE`` together and
    dropping the file's final line break (see :mod:`backend.settings`)."""

    def __getitem__(self, key: str) -> str:
        path = self.env.get(f"{key}_FILE")
        if not path:
            return self.env[key]
        if key in self.env:
            raise ImproperlyConfigured(f"Set {key} or {key}_FILE, not both.")
        try:
            return super().__getitem__(key).removesuffix("\n").removesuffix("\r")
        except OSError as error:
            raise ImproperlyConfigured(f"{key}_FILE: cannot read {path}: {error}") from None


def one_of(choices: Sequence[str]) -> str:
    """``choices`` for a message: ``"a, b or c"``."""
    return " or ".join([", ".join(choices[:-1]), choices[-1]] if len(choices) > 1 else choices)


class Env(environ.FileAwareEnv):
    """django-environ's reader of ``X`` or ``X_FILE`` whose ``int``, ``float`` and
    ``bool`` refuse what they cannot read (``ImproperlyConfigured``, naming ``X``), and
    with :meth:`choice` and :meth:`time_zone` for names from a fixed set."""

    def __init__(self, **scheme):
        super().__init__(**scheme)
        self.ENVIRON = _SecretFiles()

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        """django-environ's value of ``var`` cast by ``cast``; a value ``cast`` refuses
        raises ``ImproperlyConfigured`` naming ``var``, its kind and the value."""
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ValueError:
            kind = _KINDS.get(cast, getattr(cast, "__name__", "readable"))
            raise ImproperlyConfigured(
                f"{var} must be {kind} (got {self.ENVIRON.get(var)!r})."
            ) from None

    @classmethod
    def parse_value(cls, value, cast):
        """``value`` (text) as ``cast``; raises ``ValueError`` for a boolean that is not
        one of the spellings above (django-environ reads any other text as false) and
        for a number that is not one (it drops the characters it cannot read: ``5s``
        would be 5)."""
        if cast is bool and isinstance(value, str):
            text = value.strip().lower()
            try:
                return int(text) != 0
            except ValueError:
                if text in TRUE_SPELLINGS or text in FALSE_SPELLINGS:
                    return text in TRUE_SPELLINGS
                raise
        if cast is float and isinstance(value, str):
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        return super().parse_value(value, cast)

    def choice(self, var: str, choices: Sequence[str], default: str) -> str:
        """The value of ``var`` (``default`` when unset): one of ``choices``, compared
        without case and returned as spelt in ``choices``; anything else raises
        ``ImproperlyConfigured`` listing them."""
        value = self.str(var, default=default)
        for name in choices:
            if value.strip().lower() == name.lower():
                return name
        raise ImproperlyConfigured(f"{var} must be {one_of(choices)} (got {value!r}).")

    def time_zone(self, var: str, default: str) -> str:
        """The value of ``var`` (``default`` when unset), an IANA time zone name such as
        ``Africa/Dar_es_Salaam``; another raises ``ImproperlyConfigured``."""
        value = self.str(var, default=default)
        try:
            zoneinfo.ZoneInfo(value)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            raise ImproperlyConfigured(
                f"{var} must be an IANA time zone name such as Africa/Dar_es_Salaam "
                f"(got {value!r})."
            ) from None
        return value


#: The reader of every setting: ``env.int("X", default=...)`` and so on.
env = Env()
