"""Admin helpers shared by the modules: versioned rows written through the module services.

- :mod:`backend.admin.versioned`: :class:`VersionedAdmin`, which writes through the
  module's services (the GraphQL mutations' code path), history read-only, with its form
  and list filter (:mod:`backend.admin.forms`);
- :mod:`backend.admin.history`: the read-only history displays of the change page.

A module's ``admin.py`` subclasses :class:`VersionedAdmin` (and may use
:class:`ValidityListFilter`).
"""

from backend.admin.forms import (
    ServiceRefused,
    ValidityListFilter,
    VersionedForm,
    refused,
)
from backend.admin.history import HistoryDisplay
from backend.admin.versioned import VersionedAdmin

__all__ = [
    "HistoryDisplay",
    "ServiceRefused",
    "ValidityListFilter",
    "VersionedAdmin",
    "VersionedForm",
    "refused",
]
