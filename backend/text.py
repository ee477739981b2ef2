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

import unicodedata

from backend.errors import FieldError

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
    """``"<name> has <n> characters; at most 200."`` for the first of ``values``, the
    texts of the filter or search parameter ``name`` (as the client named it: a value,
    or the items of a list), longer than :data:`FILTER_TEXT_LIMIT`; None when none is."""
    for value in values:
        if len(value) > FILTER_TEXT_LIMIT:
            return f"{name} has {len(value)} characters; at most {FILTER_TEXT_LIMIT}."
    return None
