"""Resource ids as the APIs send and read them: a row's id is its uuid in canonical form,
32 lowercase hex digits hyphenated 8-4-4-4-12 (RFC 9562 §4, the form ``str(uuid)``
gives), and an id is a string compared as sent (FHIR R4 datatypes.html#id, a
case-sensitive string; JSON:API 1.1 "Identification": ``id`` is a string). Another
spelling of a row's uuid (upper case, no hyphens, braces, ``urn:uuid:``, which
:class:`uuid.UUID` would read as the same uuid) is therefore an id no row has.

Every id the FHIR and JSON:API surfaces read (a URL's id, a reference, a search or
filter value) goes through :func:`parse_id`; :func:`backend.rights.require_known` and
:func:`backend.rights.resolve` take such a text as they take a uuid and answer one
spelled otherwise exactly as an unknown uuid.
"""

from __future__ import annotations

import uuid


def parse_id(text: str) -> uuid.UUID | None:
    """The uuid whose canonical spelling is ``text``; None for any other text (another
    spelling of a uuid, or no uuid at all)."""
    try:
        key = uuid.UUID(text)
    except (ValueError, TypeError, AttributeError):
        return None
    return key if str(key) == text else None


def is_uuid(text: str) -> bool:
    """Whether ``text`` spells a uuid in any form :class:`uuid.UUID` reads (to tell an
    id spelled otherwise, unknown, from text that is no uuid at all, malformed)."""
    try:
        uuid.UUID(text)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def key_of(key: uuid.UUID | str) -> uuid.UUID | None:
    """``key`` as a uuid: a :class:`uuid.UUID` as it is, a text by :func:`parse_id`
    (None: no row has it)."""
    return key if isinstance(key, uuid.UUID) else parse_id(key)
