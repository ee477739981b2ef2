"""Relay connection with ``totalCount``, a default page size and a hard maximum."""

from __future__ import annotations

from typing import Any

import strawberry
from django.conf import settings
from strawberry.relay.types import PREFIX
from strawberry.relay.utils import from_base64
from strawberry_django.relay import DjangoListConnection

from backend.errors import UserInputError


def _is_cursor(value: str) -> bool:
    """True when ``value`` is an offset cursor as this connection emits them."""
    try:
        prefix, offset = from_base64(value)
    except ValueError:
        return False
    return prefix == PREFIX and offset.isascii() and offset.isdigit() and int(offset) < 2**31


@strawberry.type(
    name="Connection",
    description="A page of nodes (Relay cursor connection) with the total count of matches.",
)
class CountedConnection(DjangoListConnection[strawberry.relay.NodeType]):
    """A Relay connection whose page size defaults to ``GRAPHQL_DEFAULT_PAGE_SIZE``.

    ``first``/``last`` above ``GRAPHQL_MAX_PAGE_SIZE`` raise ``UserInputError``, which the
    client receives as a GraphQL error naming the limit; nothing is truncated silently.
    """

    @classmethod
    def resolve_connection(
        cls,
        nodes: Any,
        *,
        info: strawberry.Info,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
        max_results: int | None = None,
        **kwargs: Any,
    ) -> Any:
        if first is None and last is None:
            first = settings.GRAPHQL_DEFAULT_PAGE_SIZE
        for name, cursor in (("after", after), ("before", before)):
            if cursor is not None and not _is_cursor(cursor):
                raise UserInputError(f"Argument '{name}' is not a cursor of this connection.")
        try:
            return super().resolve_connection(
                nodes,
                info=info,
                before=before,
                after=after,
                first=first,
                last=last,
                max_results=settings.GRAPHQL_MAX_PAGE_SIZE,
                **kwargs,
            )
        except (ValueError, TypeError) as error:  # strawberry's checks of first/last
            raise UserInputError(str(error)) from error
