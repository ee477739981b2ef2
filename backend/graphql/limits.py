"""The guard rails every schema is built with: depth, alias, token and node limits, the
document caches (errors are coded and masked by :mod:`backend.graphql.error_logging`)."""

from __future__ import annotations

import functools

from django.conf import settings
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from backend.graphql.compiler import CompiledReads
from backend.graphql.cost import MaxFieldsLimiter, MaxNodesLimiter
from backend.graphql.documents import DOCUMENT_CACHE_SIZE
from backend.graphql.mutations import AtomicMutations
from backend.graphql.operation_choice import OperationChoice
from backend.graphql.permissions import ReadScopeCheck
from backend.graphql.resolvers import Optimizer


@functools.cache
def guard_rules(max_depth: int, max_aliases: int) -> tuple:
    """The validation rules of the depth and alias limits, created once per process.

    The limiters create a new rule class per instance; the validation cache is keyed by
    the rule classes, so they must be the same objects in every request.
    """
    return (
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    )


def schema_extensions() -> list:
    """The optimizer, the guard rails and the document caches, from settings.

    ``GRAPHQL_MAX_DEPTH`` (query depth), ``GRAPHQL_MAX_ALIASES`` (aliases per document),
    ``GRAPHQL_MAX_TOKENS`` (tokens per document), ``GRAPHQL_MAX_FIELDS`` (fields once
    fragments are expanded), ``GRAPHQL_MAX_NODES`` (objects an
    answer may hold, see :mod:`backend.graphql.cost`); unexpected errors are masked unless
    ``DEBUG``. A document whose operation cannot be determined is refused after
    parsing (:mod:`backend.graphql.operation_choice`). Parsing (with the token limit)
    and validation (with the depth and alias rules) are cached per document text. Reads
    the SQL compiler can answer are answered by it once every check has passed
    (:mod:`backend.graphql.compiler`); a mutation operation is one transaction
    (:class:`backend.graphql.mutations.AtomicMutations`).
    """
    extensions = [
        Optimizer,
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        OperationChoice,  # after parsing, before strawberry picks the operation
        MaxFieldsLimiter,  # before validation, which walks fragments per path
        lambda: AddValidationRules(
            list(guard_rules(settings.GRAPHQL_MAX_DEPTH, settings.GRAPHQL_MAX_ALIASES))
        ),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        MaxNodesLimiter,
        ReadScopeCheck,
        AtomicMutations,
        CompiledReads,  # last: after every check
    ]
    return extensions
