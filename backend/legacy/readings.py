"""The legacy readings of dates, booleans and decimals (:class:`TypedReadings`, which
:class:`~backend.legacy.parsing.RowParser` inherits), and :func:`reading`: which getter
reads a column stored in a given model field.

Legacy forms (SQL Server, as the CSV and JSON exports hold them): a ``date`` is
``1990-01-31``; a ``bit`` is ``0`` or ``1`` (a JSON export's ``true``/``false`` reads
alike, :func:`backend.legacy.files.read_json`); a ``decimal(p, s)`` is its digits
(``12.50``), read exactly, never through a float.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from backend.legacy.rows import Reason

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # legacy ``int`` columns (SQL Server, 32 bits)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BOOLEAN = {"0": False, "1": True, "false": False, "true": True}
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class TypedReadings:
    """The getters of dates, booleans and decimals; each returns the value, or ``None``
    when NULL or invalid (with a reason naming the column, ``_fail``), as every getter
    of :class:`~backend.legacy.parsing.RowParser`."""

    row: Any

    def _fail(self, column: str, reason: str) -> None:  # RowParser's
        raise NotImplementedError

    def _matching(self, column: str, required: bool, pattern: re.Pattern, what: str) -> str | None:
        raise NotImplementedError  # RowParser's

    def _converted(
        self, column: str, value: str, convert: Callable[[str], Any], what: str = "a valid date"
    ) -> Any:
        """``convert(value)``; None, with the reason "is not <what>", when it raises
        ValueError."""
        try:
            return convert(value)
        except ValueError:
            self._fail(column, Reason.of(f"{column} {{value!r}} is not {what}", value=value))
            return None

    def date(self, column: str, *, required: bool = False) -> date | None:
        """A legacy ``date``: ``1990-01-31`` (a day that does not exist is refused)."""
        value = self._matching(column, required, _DATE, "a date like 1990-01-31")
        return None if value is None else self._converted(column, value, date.fromisoformat)

    def boolean(self, column: str, *, required: bool = False) -> bool | None:
        """A legacy ``bit``: ``0`` or ``1`` (``false`` or ``true``, any case, alike)."""
        value = self.row.values[column]
        if value is None:
            if required:
                self._fail(column, Reason.of(f"{column} is missing"))
            return None
        if value.lower() not in _BOOLEAN:
            self._fail(column, Reason.of(f"{column} {{value!r}} is not 0 or 1", value=value))
            return None
        return _BOOLEAN[value.lower()]

    def decimal(
        self, column: str, *, required: bool = False, max_digits: int, decimal_places: int
    ) -> Decimal | None:
        """A legacy ``decimal(max_digits, decimal_places)``, exactly as written: more
        fractional digits than ``decimal_places`` (other than trailing zeros) or more
        digits before the point than the column holds are refused, never rounded."""
        value = self._matching(column, required, _DECIMAL, "a decimal number like 12.50")
        if value is None:
            return None
        number = Decimal(value)
        exponent = number.normalize().as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
        whole = len(str(abs(int(number)))) if abs(number) >= 1 else 0
        if places > decimal_places or whole > max_digits - decimal_places:
            self._fail(
                column,
                Reason.of(
                    f"{column} {{value!r}} does not fit decimal({max_digits}, {decimal_places})",
                    value=value,
                ),
            )
            return None
        return number.quantize(Decimal(1).scaleb(-decimal_places))


def reading(field: models.Field) -> tuple[str, dict[str, Any]]:
    """How :class:`~backend.legacy.parsing.RowParser` reads a column stored in
    ``field``: the getter's name and its options.

    The primary key is a required :meth:`~RowParser.id`; a foreign key an ``id``,
    required unless the field is nullable; a ``UUIDField`` a ``uuid``; a field with
    choices a ``choice`` among them; a ``DateTimeField`` a ``datetime``, a ``DateField``
    a ``date``, a ``BooleanField`` a ``boolean``, a ``DecimalField`` a ``decimal`` (of
    its ``max_digits`` and ``decimal_places``) and an ``IntegerField`` an ``integer``
    (within the legacy ``int`` range and the field's ``MinValueValidator`` and
    ``MaxValueValidator``), all required unless nullable; a ``CharField`` or
    ``TextField`` a ``text`` of at most its ``max_length``, required unless the field
    allows NULL or blank. Raises ``TypeError`` for another kind of field (the start-up
    check refuses a legacy table mapping one: :mod:`backend.manifest_surface_checks`).
    """
    required = not field.null
    if field.primary_key:
        return "id", {"required": True}
    if field.is_relation:
        return "id", {"required": required}
    if isinstance(field, models.UUIDField):
        return "uuid", {}
    if field.choices:
        return "choice", {"choices": tuple(value for value, _label in field.flatchoices)}
    if isinstance(field, models.DateTimeField):  # before DateField, its base class
        return "datetime", {"required": required}
    if isinstance(field, models.DateField):
        return "date", {"required": required}
    if isinstance(field, models.BooleanField):
        return "boolean", {"required": required}
    if isinstance(field, models.DecimalField):
        places = {"max_digits": field.max_digits, "decimal_places": field.decimal_places}
        return "decimal", {"required": required, **places}
    if isinstance(field, models.IntegerField):
        minimum, maximum = _range(field)
        return "integer", {"required": required, "minimum": minimum, "maximum": maximum}
    if isinstance(field, models.CharField | models.TextField):
        return "text", {"max_length": field.max_length, "required": required and not field.blank}
    raise TypeError(f"no legacy reading for the {type(field).__name__} {field.name!r}")


def _range(field: models.Field) -> tuple[int, int]:
    """The legacy ``int`` range narrowed by the field's min/max validators."""
    minimum = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    maximum = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    return max([INT_MIN, *minimum]), min([INT_MAX, *maximum])
