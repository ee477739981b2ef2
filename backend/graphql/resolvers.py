"""Faster resolution: column fields and joined relations read directly, and the
query optimizer without its per-field hook (see README "Benchmark")."""

from __future__ import annotations

import strawberry
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query_utils import DeferredAttribute
from graphql import GraphQLObjectType
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.optimizer import DjangoOptimizerExtension

from backend.graphql.readable_refs import ReadableRef


def _plain_model_attribute(field: object):
    """The model class attribute behind a strawberry-django field without a resolver
    and without field extensions (permissions, pagination …) other than district
    rights' :class:`~backend.graphql.readable_refs.ReadableRef` of history rows (a
    location's former parent); None for any other."""
    if (
        not isinstance(field, StrawberryDjangoField)
        or field.base_resolver is not None
        or not all(isinstance(e, ReadableRef) and e.history_only for e in field.extensions)
        or field.origin_django_type is None
    ):
        return None
    model = field.origin_django_type.model
    return getattr(model, field.django_name or field.python_name, None)


def read_columns_directly(schema: strawberry.Schema) -> list[str]:
    """Resolve the column fields and the forward relations of Django types directly.

    strawberry-django resolves every field, a column as well as a relation, through its
    generic path (an ``Info`` object, argument conversion, the field's extension chain,
    a look into Django's caches): some 10 µs a value, most of the time of a large page.
    For a column field without resolver or field extension that path ends in
    ``getattr(row, attname)`` (a deferred column is fetched by Django, as before); for a
    forward relation (``parent``, ``location``) joined by the optimizer, in Django's
    cache of the joined row. The GraphQL field gets that resolver directly; a relation
    not in the cache goes the generic way. Returns the ``Type.field`` names changed.
    """
    changed = []
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for name, graphql_field in graphql_type.fields.items():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            attribute = _plain_model_attribute(field)
            checks = [e.checks for e in field.extensions] if attribute is not None else []
            if getattr(graphql_field.resolve, "direct", False):
                pass  # done already (the function was called again)
            elif checks and type(attribute) is ForwardManyToOneDescriptor:
                # the joined row of a current row (its parent); a history row's is checked
                graphql_field.resolve = _joined_reader(
                    attribute.field.cache_name, graphql_field.resolve, checks
                )
            elif checks:
                continue
            elif type(attribute) is DeferredAttribute:
                graphql_field.resolve = _column_reader(attribute.field.attname)
            elif type(attribute) is ForwardManyToOneDescriptor:
                graphql_field.resolve = _joined_reader(
                    attribute.field.cache_name, graphql_field.resolve
                )
            else:
                continue
            changed.append(f"{graphql_type.name}.{name}")
    return changed


def _joined_reader(cache_name: str, generic, checks=()):
    """The joined row in Django's cache, else (or where one of ``checks(source)`` asks
    for its check) ``generic``."""

    def resolve(source, info, **kwargs):
        if any(check(source) for check in checks):
            return generic(source, info, **kwargs)
        try:
            return source._state.fields_cache[cache_name]
        except (AttributeError, KeyError):
            return generic(source, info, **kwargs)

    resolve.direct = True
    return resolve


def _column_reader(attname: str):
    def resolve(source, info):
        return getattr(source, attname)

    resolve.direct = True
    return resolve


class Optimizer(DjangoOptimizerExtension):
    """strawberry-django's query optimizer, without its per-field hook.

    The optimizer's ``resolve`` hook runs as graphql-core middleware, around every field
    of every object of an answer (a page of 1,000 locations: some 7,000 calls), to catch
    a resolver returning an unevaluated QuerySet. Here none does: the connection and
    relation fields of strawberry-django optimize their querysets themselves (with the
    optimizer this extension installs for the operation), and the custom resolvers call
    ``optimize()``. The query-count tests hold the proof.
    """

    resolve = SchemaExtension.resolve
