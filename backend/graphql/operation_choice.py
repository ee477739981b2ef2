"""Which operation of the document runs: GraphQL's GetOperation (spec.graphql.org,
"Executing Requests", GetOperation()), one refusal for all its request errors.

strawberry runs the first operation when a document holds several and none is named, and
answers an unknown ``operationName`` with an HTTP 400 of its own, while the other request
errors (parsing, validation) are GraphQL errors in a 200. GraphQL over HTTP (draft,
"Status Codes", application/json, "Operation cannot be determined") asks the same status
for all of them: 200 for the ``application/json`` answers this server sends (400 is for
``application/graphql-response+json``, which it does not send, and for a request that is
no GraphQL-over-HTTP request at all: not JSON, no ``query``).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from backend.graphql.error_logging import VALIDATION_FAILED


def operation_problem(document: DocumentNode, operation_name: str | None) -> str | None:
    """Why GetOperation finds no operation of ``document`` to run for ``operation_name``
    (None: not sent), or None when it finds one: without a name the document must hold
    exactly one operation; with one, an operation of that name."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) == 1:
            return None
        if not operations:
            return "The document holds no operation to run, only fragments."
        return (
            f"The document holds {len(operations)} operations: name the one to run in "
            "operationName."
        )
    names = [d.name.value if d.name else "(anonymous)" for d in operations]
    if operation_name in names:
        return None
    return (
        f'The document holds no operation named "{operation_name}" '
        f"(operations: {', '.join(names) or 'none'})."
    )


class OperationChoice(SchemaExtension):
    """Refuse a request whose operation GetOperation cannot determine
    (:func:`operation_problem`), once the document is parsed and before strawberry picks
    an operation: a GraphQL error coded ``GRAPHQL_VALIDATION_FAILED`` in a 200 answer,
    as every other request error."""

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        if context.graphql_document is None:
            return  # the parser's own error is answered
        # what the client sent (strawberry fills operation_name in later; it is pinned)
        problem = operation_problem(context.graphql_document, context._provided_operation_name)
        if problem is not None:
            raise GraphQLError(problem, extensions={"code": VALIDATION_FAILED})
