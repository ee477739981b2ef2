"""The annotations the optimizer adds to a row's query for a field (a count, a
``viewerCan*`` answer, a reference check), each under its own name.

Django's window filter (the sliced prefetch that reads a page of rows per parent row,
Django 5.2) selects equal expressions once, keyed by the expression: two annotations whose
expressions are equal (two fields' NULLs, two ``viewerCan*`` fields both false for a user
without the permissions) left a column out, and reading the rows failed ("tuple index out
of range", answered as "Unexpected error"). :func:`named` makes each annotation's
expression equal only to itself under its name, whatever it computes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Expression, ExpressionWrapper


class Named(ExpressionWrapper):
    """``expression`` as the annotation ``name``: the same SQL, equal only to the same
    expression under the same name (Django compares expressions by their constructor's
    arguments, which here include ``name``)."""

    def __init__(self, name: str, expression: Expression) -> None:
        super().__init__(expression, output_field=expression.output_field)
        self.name = name


def named(name: str, expression: Any) -> Any:
    """The annotation ``name`` of an optimizer hint: ``expression`` (an expression, or a
    callable ``(info) -> expression`` as strawberry-django takes) wrapped in
    :class:`Named`."""
    if isinstance(expression, Expression) or not callable(expression):
        return Named(name, expression)
    build: Callable[..., Expression] = expression
    return lambda info: Named(name, build(info))
