"""Text hygiene: which characters no text field of any module accepts, and how long a
text a filter or a search may be.

Refused (Unicode general categories, from the Unicode Character Database that
:mod:`unicodedata` carries): control characters (Cc: NUL … US, DEL, the C1 controls;
so TAB, LF, ESC, BEL too), surrogates (Cs: half a character, which PostgreSQL cannot
store), and the bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A …
U+202E, U+2066 … U+2069), which reorder how text around them is shown (Trojan Source,
CVE-2021-42574) and let a name display as another. Other format characters (Cf) stay
allowed: the zero-width space and joiners belong to scripts such as Khmer.
"""

from __future__ import annotations

import functools
import operator
import unicodedata
from collections.abc import Iterable

from django.db.models import Q

from backend.errors import FieldError, UserInputError

#: The Unicode bidirectional formatting characters (UAX #9, "Explicit Directional
#: Formatting Characters", and the implicit marks).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def refused_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of ``value`` no text field accepts, or None; a ``multiline``
    field (an address) also accepts line breaks (LF, and CR as in a browser's CR LF)."""
    for char in value:
        if char in "\r\n" and multiline:
            continue
        if char in BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


def text_errors(
    values: dict[str, str | None], *, multiline: tuple[str, ...] = ()
) -> list[FieldError]:
    """``INVALID_CHARACTER`` errors for the fields of ``values`` (input field name, as
    in GraphQL -> text) holding a refused character; [] when all are clean. Fields
    named in ``multiline`` accept line breaks (CR, LF). The message
    names the character by code point and Unicode name, e.g. "The name contains U+001B
    (ESCAPE), a control character no text field accepts."."""
    errors = []
    for field, value in values.items():
        char = refused_character(value or "", multiline=field in multiline)
        if char is not None:
            name = unicodedata.name(char, None) or _CONTROL_NAMES.get(char, "a control")
            errors.append(
                FieldError(
                    field,
                    "INVALID_CHARACTER",
                    f"The {field} contains U+{ord(char):04X} ({name}), a control or "
                    "text-direction character no text field accepts.",
                )
            )
    return errors


#: unicodedata has no names for the C0/C1 controls; the usual ones (ISO 6429).
_CONTROL_NAMES = {
    "\t": "CHARACTER TABULATION",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x07": "BELL",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
}


#: Longest text a filter or search takes, on every surface (a GraphQL filter's text
#: field, a JSON:API ``filter[...]`` value or list item, a FHIR search value): longer than
#: any code, name, phone or e-mail, and short enough that no database refuses the
#: pattern (SQLite: "LIKE pattern too complex").
FILTER_TEXT_LIMIT = 200


def filter_text_problem(name: str, *values: str) -> str | None:
    """Why the texts ``values`` of the filter or search parameter ``name`` (as the client
    named it: a value, or the items of a list) are refused, or None: the first one that
    is blank once its surrounding white space is trimmed (``"<name> has no value."``,
    the wording of :func:`backend.query_string.values_of`), holds a NUL (which
    PostgreSQL can neither store nor compare) or is longer than :data:`FILTER_TEXT_LIMIT`
    as sent (``"<name> has <n> characters; at most 200."``)."""
    for value in values:
        text = value.strip()
        if not text:
            return f"{name} has no value."
        if "\x00" in text:
            return f"{name} contains a NUL character (\\u0000), which no filter accepts."
        if len(value) > FILTER_TEXT_LIMIT:  # as sent: what the client counts
            return f"{name} has {len(value)} characters; at most {FILTER_TEXT_LIMIT}."
    return None


def filter_text(name: str, value: str) -> str:
    """The text of the filter or search parameter ``name`` as every surface (GraphQL's
    filter inputs, JSON:API's ``filter[...]``, FHIR's search values) matches it: without
    its surrounding white space (a text typed with a stray space finds what it finds
    without it). Raises :class:`~backend.errors.UserInputError` naming ``name`` (its
    ``argument``) when :func:`filter_text_problem` refuses it: blank once trimmed (it
    would match every row, or none), a NUL, over :data:`FILTER_TEXT_LIMIT` characters."""
    if problem := filter_text_problem(name, value):
        raise UserInputError(problem, argument=name)
    return value.strip()


def filter_texts(name: str, value: str, *, listed: bool = False) -> list[str]:
    """The texts of the filter or search parameter ``name``'s ``value``, each read by
    :func:`filter_text`: the value, or when ``listed`` its comma-separated items (a
    JSON:API list filter, ``filter[type.in]=R,D``; a FHIR search value, whose items
    match any). Raises :class:`~backend.errors.UserInputError` naming ``name`` for an
    empty item (``"type=R,,D: an item is empty."``: dropping it would answer another
    question) and as :func:`filter_text` for the rest."""
    items = value.split(",") if listed else [value]
    if len(items) > 1 and not all(item.strip() for item in items):
        raise UserInputError(f"{name}={value}: an item is empty.", argument=name)
    return [filter_text(name, item) for item in items]


def contains_any(fields: Iterable[str], text: str) -> Q:
    """Rows where any of the text ``fields`` contains ``text`` (case-insensitive, the
    project's case rule, :mod:`backend.casefold`): the search of every surface (GraphQL's
    ``filter.search``, JSON:API's ``filter[search]``), the whole text as one phrase."""
    return functools.reduce(operator.or_, (Q(**{f"{f}__icontains": text}) for f in fields))
