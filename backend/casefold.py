"""The one case rule of the project: what "ignoring case" means, on every database.

Two texts are equal ignoring case when their uppercase forms are equal, uppercase taken
one character at a time with Unicode's *simple* case mapping (``UnicodeData.txt``):
each character becomes at most one character. That is what PostgreSQL's ``upper()`` and
``lower()`` do under a UTF-8 libc locale (``C.UTF-8``, ``en_US.UTF-8``: glibc's
``towupper``/``towlower``), so the unique index on ``UPPER(code)`` and Django's
case-insensitive lookups there (``UPPER(column) LIKE UPPER(pattern)``) already follow it;
``tests/test_case_folding.py`` compares it with PostgreSQL's for every character.

SQLite's own ``UPPER``, ``LOWER`` and ``LIKE`` fold ASCII only, so the project's SQLite
engine (:mod:`backend.database.sqlite`) registers :func:`upper` and :func:`lower` on each
connection as ``UNICODE_UPPER`` and ``UNICODE_LOWER`` and compiles Django's
case-insensitive lookups and ``Upper``/``Lower`` expressions with them.

What the rule gives: é = É; ß ≠ SS and ß ≠ ẞ (ß has no one-character capital, ẞ's
capital is itself); Turkish İ (dotted capital) ≠ i, and dotless ı = I = i (the capital
of ı and of i is I). Python's ``str.upper`` would make ß "SS" and ``str.casefold``
"ss", which PostgreSQL does not: they are not used.
"""

from __future__ import annotations

from functools import lru_cache
from typing import overload


@lru_cache(maxsize=4096)
def _upper_char(char: str) -> str:
    """``char``'s simple uppercase mapping: ``str.upper`` when it gives one character;
    else the titlecase when that is one character (Greek letters with ypogegrammeni:
    ᾳ -> ᾼ, whose full uppercase is two); else the character itself (ß, ŉ, ﬀ)."""
    for mapped in (char.upper(), char.title()):
        if len(mapped) == 1:
            return mapped
    return char


@lru_cache(maxsize=4096)
def _lower_char(char: str) -> str:
    """``char``'s simple lowercase mapping: only İ lowercases to two characters in full
    (i and a combining dot above); its simple mapping is the first, i. A lone Σ is σ."""
    return char.lower()[:1] or char


@overload
def upper(text: str) -> str: ...
@overload
def upper(text: None) -> None: ...
def upper(text: str | None) -> str | None:
    """``text`` uppercased character by character (Unicode simple mapping, as
    PostgreSQL's ``upper()``); None for None."""
    if text is None:
        return None
    full = text.upper()
    # the same length: each character mapped to one, its simple mapping (the full
    # mapping differs from the simple one only where it gives several characters)
    return full if len(full) == len(text) else "".join(map(_upper_char, text))


@overload
def lower(text: str) -> str: ...
@overload
def lower(text: None) -> None: ...
def lower(text: str | None) -> str | None:
    """``text`` lowercased character by character (Unicode simple mapping, as
    PostgreSQL's ``lower()``: İ -> i, Σ -> σ at
    the end of a word too); None for None."""
    if text is None:
        return None
    if "\u03a3" not in text:  # str.lower makes a word's last Σ a final ς; PostgreSQL σ
        full = text.lower()
        if len(full) == len(text):
            return full
    return "".join(map(_lower_char, text))


def sql_upper(value: object) -> object:
    """``UNICODE_UPPER(value)`` of SQLite: :func:`upper` of a text, other values (NULL,
    numbers, blobs) as SQLite's ``UPPER`` gives them (NULL; a number's text; the blob)."""
    return _sql(upper, value)


def sql_lower(value: object) -> object:
    """``UNICODE_LOWER(value)`` of SQLite: as :func:`sql_upper`, lowercase."""
    return _sql(lower, value)


def _sql(fold, value: object) -> object:
    if value is None or isinstance(value, bytes):
        return value
    return fold(value if isinstance(value, str) else str(value))
