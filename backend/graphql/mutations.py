"""What every module's write mutation shares: its payload type and its resolver.

A mutation takes one ``input`` argument, is guarded by one Django permission, runs one
service call (one transaction) and returns a payload holding the saved object read back
from the database, or the list of ``UserError``s (nothing written; see
:func:`backend.graphql.errors.attempt`). Missing permissions are GraphQL errors.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Container, Iterable, Iterator
from enum import Enum
from typing import Annotated, Any

import strawberry
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from backend.errors import UserInputError
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
    payload: type, permission: str, input_description: str
) -> Callable[[Write], Any]:
    """Decorate a write ``(input, user) -> saved object`` as a mutation field:
    ``(input: <the annotation of input>!) -> payload!``, guarded by the Django permission
    ``permission`` (``"app_label.codename"``), described by the write's docstring (its
    lines joined by spaces); ``input_description`` describes the argument.

    The payload's first field (see :func:`payload_type`) receives what the write
    returns, ``errors`` what it refused with (``ValidationFailed``); a
    ``PermissionDenied`` or unexpected exception propagates as a GraphQL error, a
    ``UserInputError`` naming an input field with the argument in front
    (``input.expectedValidityFrom``, :meth:`~backend.errors.UserInputError.within`).
    """

    def decorate(write: Write) -> Any:
        input_type = typing.get_type_hints(write)["input"]
        result = next(iter(payload.__annotations__))

        def resolve(info: strawberry.Info, input: Any) -> Any:
            try:
                saved, errors = attempt(lambda: write(input, current_user(info)))
            except UserInputError as error:  # names a field of the argument `input`
                error.within("input")
                raise
            return payload(**{result: saved, "errors": errors})

        resolve.__annotations__ = {
            "info": strawberry.Info,
            "input": Annotated[input_type, strawberry.argument(description=input_description)],
            "return": payload,
        }
        return strawberry.mutation(
            resolve,
            description=" ".join(inspect.getdoc(write).split()),
            permission_classes=[HasPerm(permission)],
        )

    return decorate


def input_values(
    input: object, fields: Iterable[str], *, required: Container[str] = ()
) -> dict[str, Any]:
    """The values of ``input``'s ``fields`` the caller gave (not ``UNSET``), by field
    name, for a service: an enum as its value, an explicit null for a ``required``
    field as ``""`` (which the service reports as REQUIRED)."""
    values = {}
    for name in fields:
        value = getattr(input, name)
        if value is strawberry.UNSET:
            continue
        if isinstance(value, Enum):
            value = value.value
        values[name] = "" if value is None and name in required else value
    return values


def expected_version(noun: str, *, many: bool = False) -> Any:
    """The optional input field ``expectedValidityFrom`` of a write on an existing row
    (declare it as ``expected_validity_from: datetime.datetime | None =
    expected_version("payer")``, or ``list[datetime.datetime | None] | None`` with
    ``many`` for a write on several rows) and pass its value to the service, which
    compares it under the row lock (:mod:`backend.concurrency`). Omitted or null: the
    write is not compared, as before the field existed."""
    if many:
        what = (
            f"The validityFrom of each {noun} as you read it, in the order of uuids (null: "
            "that one is not compared)"
        )
    else:
        what = f"The validityFrom of the {noun} as you read it"
    return strawberry.field(
        default=None,
        description=(
            f"{what}. When the {noun} changed since (another version is current), the "
            "write is refused with a BAD_USER_INPUT error whose extensions.reason is "
            "STALE_VERSION, and nothing is written. Omitted: not compared."
        ),
    )


class AtomicMutations(SchemaExtension):
    """A mutation operation runs in one transaction, all or nothing: an answer with an
    error in its ``errors`` list wrote nothing, and its ``data`` is null.

    GraphQL runs a document's mutation fields one after the other (spec "Executing
    Operations") and answers each as far as it got: a mutation refused by a GraphQL
    error (a missing permission, ``OUTSIDE_DISTRICTS``, ``STALE_VERSION``) after an
    earlier one was written, or an error in a payload's selection after its write (a
    nested page size out of range nulls the payload's object), would leave rows written
    that the answer does not show, and a client retrying would write them twice. So the
    operation is undone on any error, and its ``data`` is set to null, so that the
    answer says what was written: nothing. A refusal in a payload's ``errors`` list (a
    rule of the module's service) is no GraphQL error: the other mutations of the
    document are written, and each payload says whether its own was. Each service call
    stays a transaction of its own inside this one (a savepoint). Reads are not
    wrapped."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.operation_type is not OperationType.MUTATION:
            yield
            return
        with transaction.atomic():
            yield
            result = context.result
            if result is not None and result.errors:
                transaction.set_rollback(True)
                result.data = None
