"""The environment reader of the settings (and of the gunicorn configuration):
django-environ's ``FileAwareEnv`` (``X_FILE`` secrets) whose typed readers refuse a
value they cannot read, naming the variable, instead of failing with a bare
``ValueError`` or reading it as false.

Every refusal is an ``ImproperlyConfigured`` whose message reads
``NAME must be <kind> (got '<value>').``; ``manage.py`` prints it after
``Start-up refused:`` on one line. A number is read with its range (``env.int("X",
default=12, minimum=1)``): a value out of it is refused alike, the kind naming the range
(``an integer from 1 to 65535``). Imports nothing of Django but that exception, so
that it can be read before Django is set up.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Sequence
from typing import NamedTuple

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


#: The largest value of a C ``int``: PostgreSQL's integer settings (``statement_timeout``),
#: SQLite's busy timeout and libpq's ``connect_timeout`` take no more.
C_INT_MAX = 2**31 - 1


class Limit(NamedTuple):
    """A bound of a number's range taken from other settings: its ``name`` (a setting,
    or how the bound derives from settings) and ``value``; a refusal names both
    (``GRAPHQL_MAX_PAGE_SIZE=1000``; a derivation: ``6000 (5 * GRAPHQL_MAX_PAGE_SIZE=1000
    + 1000: …)``)."""

    name: str
    value: float

    def __str__(self) -> str:
        if self.name.isidentifier():
            return f"{self.name}={self.value}"
        return f"{self.value} ({self.name})"


def range_kind(cast: type, minimum: float | Limit, maximum: float | Limit | None) -> str:
    """What a ``cast`` (``int`` or ``float``) setting from ``minimum`` to ``maximum``
    (None: no upper bound) must be, for a refusal: ``"an integer from 0 to 10"``,
    ``"a number of at least 0"``."""
    if maximum is None:
        return f"{_KINDS[cast]} of at least {minimum}"
    return f"{_KINDS[cast]} from {minimum} to {maximum}"


#: A number as the settings take it: ASCII digits, an optional leading minus (a range
#: refuses it where negatives make no sense), for ``float`` a fraction after a point; no
#: sign ``+``, underscore, surrounding space or other script's digits (Python's ``int``
#: and ``float`` take ``1_000``, ``+500``, `` 1000 `` and Arabic-Indic digits, which a typo or a
#: copied value would reach the setting by).
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


class _SecretFiles(environ.FileAwareMapping):
    """django-environ's ``X_FILE`` lookup, refusing ``X`` and ``X_FILE`` together and an
    empty file (``X_FILE: <path> is empty.``: a secret written nowhere yet), and dropping
    the file's final line break (see :mod:`backend.settings`)."""

    def __getitem__(self, key: str) -> str:
        path = self.env.get(f"{key}_FILE")
        if not path:
            return self.env[key]
        if key in self.env:
            raise ImproperlyConfigured(f"Set {key} or {key}_FILE, not both.")
        try:
            value = super().__getitem__(key).removesuffix("\n").removesuffix("\r")
        except OSError as error:
            raise ImproperlyConfigured(f"{key}_FILE: cannot read {path}: {error}") from None
        if not value:
            raise ImproperlyConfigured(f"{key}_FILE: {path} is empty.")
        return value


def one_of(choices: Sequence[str]) -> str:
    """``choices`` for a message: ``"a, b or c"``."""
    return " or ".join([", ".join(choices[:-1]), choices[-1]] if len(choices) > 1 else choices)


def _ranged_reader(cast: type, what: str):
    """The reader of :class:`Env` (``env.int``, ``env.float``) of a ``cast`` setting
    with its range; ``what`` names the value in its docstring."""

    def read(
        self,
        var: str,
        default=environ.Env.NOTSET,
        *,
        minimum: float | Limit,
        maximum: float | Limit | None = None,
    ):
        kind = range_kind(cast, minimum, maximum)
        value = self.get_value(var, cast=cast, default=default, kind=kind)
        low = minimum.value if isinstance(minimum, Limit) else minimum
        high = maximum.value if isinstance(maximum, Limit) else maximum
        if value < low or (high is not None and value > high):
            raise self._refusal(var, kind, default)
        return value

    read.__name__ = read.__qualname__ = cast.__name__
    read.__doc__ = (
        f"The {what} ``var`` (``default`` when unset) from ``minimum`` (a number or a "
        "``Limit``) to ``maximum`` (None: no upper bound), both included; anything else "
        "raises ``ImproperlyConfigured`` naming the range."
    )
    return read


class Env(environ.FileAwareEnv):
    """django-environ's reader of ``X`` or ``X_FILE`` whose ``int``, ``float`` and
    ``bool`` refuse what they cannot read (``ImproperlyConfigured``, naming ``X``), whose
    ``int`` and ``float`` take the setting's range and refuse a value out of it, and
    with :meth:`choice` and :meth:`time_zone` for names from a fixed set."""

    def __init__(self, **scheme):
        super().__init__(**scheme)
        self.ENVIRON = _SecretFiles()

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False, kind=None):
        """django-environ's value of ``var`` cast by ``cast``; a value ``cast`` refuses
        raises ``ImproperlyConfigured`` naming ``var``, its ``kind`` (by default the
        cast's: ``an integer``) and the value."""
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ValueError:
            kind = kind or _KINDS.get(cast, getattr(cast, "__name__", "readable"))
            raise self._refusal(var, kind, default) from None

    def _refusal(self, var: str, kind: str, default) -> ImproperlyConfigured:
        """The refusal of ``var``'s value (its text, or ``default`` when unset)."""
        return ImproperlyConfigured(
            f"{var} must be {kind} (got {self.ENVIRON.get(var, default)!r})."
        )

    int = _ranged_reader(int, "integer")
    float = _ranged_reader(float, "finite number")

    @classmethod
    def parse_value(cls, value, cast):
        """``value`` (text) as ``cast``; raises ``ValueError`` for a boolean that is not
        one of the spellings above (django-environ reads any other text as false) and
        for a number that is not written in ASCII digits (:data:`_INTEGER`,
        :data:`_NUMBER`: django-environ drops the characters it cannot read, ``5s``
        would be 5, and Python reads ``1_000``, ``+500``, `` 1000 `` and Arabic-Indic digits)."""
        if cast is bool and isinstance(value, str):
            text = value.strip().lower()
            if _INTEGER.fullmatch(text):
                return int(text) != 0
            if text in TRUE_SPELLINGS or text in FALSE_SPELLINGS:
                return text in TRUE_SPELLINGS
            raise ValueError(value)
        pattern = {int: _INTEGER, float: _NUMBER}.get(cast)
        if pattern and isinstance(value, str) and not pattern.fullmatch(value):
            raise ValueError(value)
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
