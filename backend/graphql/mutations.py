"""What every module's write mutation shares: its payload type and its resolver.

A mutation takes one ``input`` argument, is guarded by one Django permission, runs one
service call (one transaction) and returns a payload holding the saved object read back
from the database, or the list of ``UserError``s (nothing written; see
:func:`backend.graphql.errors.attempt`). Missing permissions are GraphQL errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from django.contrib.auth.models import AbstractBaseUser

from backend.graphql.errors import UserErrorType, attempt
from backend.graphql.permissions import HasPerm, current_user

#: Runs the write: ``(input, user) -> saved object``; raises ``ValidationFailed``.
Write = Callable[[Any, AbstractBaseUser], Any]


def payload_type(
    field: str,
    result: Any,
    *,
    name: str | None = None,
    description: str | None = None,
    result_description: str | None = None,
    errors_description: str = "Why nothing was written; empty on success.",
) -> type:
    """A strawberry payload type with ``field: result | None`` (the saved object, or a
    list of them; null on errors) and ``errors: [UserError!]!``.

    ``field`` is the Python name of the saved object's field, e.g. ``"location"``; by
    default the type is named ``LocationPayload``, described as "Result of a location
    mutation.", its field as "The location as saved (read back from the database); null
    on errors.".
    """
    namespace = {
        "__annotations__": {field: result | None, "errors": list[UserErrorType]},
        field: strawberry.field(
            description=result_description
            or f"The {field} as saved (read back from the database); null on errors."
        ),
        "errors": strawberry.field(description=errors_description),
    }
    return strawberry.type(
        type(name or f"{field.capitalize()}Payload", (), namespace),
        description=description or f"Result of a {field} mutation.",
    )


def write_mutation(
    input_type: type,
    payload: type,
    write: Write,
    *,
    permission: str,
    description: str,
    input_description: str,
) -> Any:
    """A mutation field: ``(input: input_type!) -> payload!``, guarded by the Django
    permission ``permission`` (``"app_label.codename"``), running ``write(input, user)``.

    The payload's first field (see :func:`payload_type`) receives what ``write``
    returns, ``errors`` what it refused with; a ``PermissionDenied`` or unexpected
    exception propagates as a GraphQL error.
    """
    result = next(iter(payload.__annotations__))

    def resolve(info: strawberry.Info, input: Any) -> Any:
        saved, errors = attempt(lambda: write(input, current_user(info)))
        return payload(**{result: saved, "errors": errors})

    resolve.__annotations__ = {
        "info": strawberry.Info,
        "input": Annotated[input_type, strawberry.argument(description=input_description)],
        "return": payload,
    }
    return strawberry.mutation(
        resolve, description=description, permission_classes=[HasPerm(permission)]
    )
