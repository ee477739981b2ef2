"""District rights on to-one references: a field returning the row a foreign key refers
to (``PayerNote.payer``, ``ref("Payer") | None = strawberry_django.field()``) gives that
row only when the user may read it (:func:`backend.rights.readable`), null otherwise,
as the root field ``payer(uuid:)`` does.

:func:`check_readable_refs` (schema assembly, the composed schema and every subgraph)
gives each such field, when the row it returns is of a placed model and not implied
readable by every version of the row it hangs off
(:func:`backend.references.implies_readable`), a :class:`ReadableRef`: the optimizer
annotates the parent rows with whether each one's referred row is readable (a
correlated ``EXISTS`` in the query that reads them: no query more), and the field
answers null where it is not. A reference implied readable from current rows only
(``Location.parent``: a current location's parent is its ancestor, a history version's
may be a former parent outside the user's rights) is checked on history rows only. The
SQL compiler applies :func:`backend.references.readable_referred` to the same fields
(:func:`readable_ref`).
"""

from __future__ import annotations

from typing import Any

import strawberry
from django.core.exceptions import ImproperlyConfigured
from django.db.models import ForeignKey, Model, Value
from django.db.models.fields.related_descriptors import (
    ForwardManyToOneDescriptor,
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
)
from strawberry.extensions import FieldExtension
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.optimizer import OptimizerStore
from strawberry_django.utils.typing import get_django_definition

from backend.graphql.annotations import named
from backend.graphql.permissions import current_user
from backend.references import (
    implies_readable,
    may_read_reference,
    reference_flag,
    reference_readable,
)
from backend.rights import placement_of


class ReadableRef(FieldExtension):
    """Null instead of the row the foreign key ``relation`` refers to when the user may
    not read it. Reads the parent row's annotation ``flag``, set by the optimizer, or
    for a reference checked on history rows only (:attr:`history_only`) by the history
    lists (:func:`backend.graphql.relations.prefetched_list`); a parent row read
    without it costs one query, unless its placement implies the row readable
    (:func:`backend.references.may_read_reference`: a current location's parent)."""

    def __init__(self, relation: ForeignKey) -> None:
        super().__init__()
        self.relation = relation
        self.flag = reference_flag(relation)
        #: True when only history rows need the check: no optimizer hint then (a hint
        #: on a field below a joined to-one relation, ``parent { parent }``, turns the
        #: join into a query of its own; the rows reached through a foreign key are
        #: current rows).
        self.history_only = implies_readable(relation.model, relation.name, history=False)

    def checks(self, row: Any) -> bool:
        """Whether the reference of ``row`` (a parent row) is checked at all: always,
        or for a reference checked on history rows only, when ``row`` is one."""
        return not self.history_only or getattr(row, "validity_to", None) is not None

    def annotation(self, info: strawberry.Info) -> Any:
        """The SQL expression, over a parent row, of "the user may read the row referred
        to" (:func:`backend.references.reference_readable`; true without restriction)."""
        expression = reference_readable(self.relation, current_user(info))
        return Value(True) if expression is None else expression

    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        row = next_(source, info, **kwargs)
        if row is None:
            return None
        allowed = getattr(source, self.flag, None)
        if allowed is None:
            allowed = may_read_reference(current_user(info), source, self.relation)
        return row if allowed else None


def _descriptor(field: Any, model: type[Model]) -> Any:
    """The attribute of ``model`` a strawberry-django field without resolver reads (a
    column's or a relation's descriptor), or None (another field, a resolver of the
    module's own)."""
    if not isinstance(field, StrawberryDjangoField) or field.base_resolver is not None:
        return None
    return getattr(model, field.django_name or field.python_name, None)


def referred_relation(field: Any, model: type[Model]) -> ForeignKey | None:
    """The foreign key of ``model`` a strawberry-django field without resolver returns
    the row of, or None (a column, a list, a resolver of the module's own)."""
    attribute = _descriptor(field, model)
    return attribute.field if type(attribute) is ForwardManyToOneDescriptor else None


def listed_model(field: Any, model: type[Model]) -> type[Model] | None:
    """The model whose rows a strawberry-django field without resolver lists straight
    from a to-many relation of ``model`` (a reverse foreign key, a many-to-many), or
    None."""
    attribute = _descriptor(field, model)
    if type(attribute) is ReverseManyToOneDescriptor:
        return attribute.field.model
    if type(attribute) is ManyToManyDescriptor:
        return attribute.field.model if attribute.reverse else attribute.field.related_model
    return None


def field_model(field: Any) -> type[Model] | None:
    """The model of the Django type ``field`` is a field of: the type it was declared on,
    or for a field spliced in from another module's extension (a plain strawberry type),
    the type it was spliced into (its ``origin``, :func:`backend.graphql.schema.
    splice_field`); None for a field of no Django type (a root field)."""
    definition = getattr(field, "origin_django_type", None) or get_django_definition(
        getattr(field, "origin", None)
    )
    return getattr(definition, "model", None)


def check_readable_refs(fields: list) -> None:
    """Give every field of ``fields`` (of one type, its own fields and those spliced in
    from extensions) returning a row of a placed model a :class:`ReadableRef`, unless the
    placement of the model of the field's type implies the row readable from every
    version (:func:`backend.references.implies_readable`). Changes the field objects in
    place (build fresh copies first).

    Raises ImproperlyConfigured for a field listing rows of a placed model straight from
    a to-many relation (no district rights there), naming the module that added it when
    an extension did: ``prefetched_list`` and ``prefetched_connection``
    (:mod:`backend.graphql.relations`) list them."""
    for field in fields:
        model = field_model(field)
        listed = None if model is None else listed_model(field, model)
        if listed is not None and placement_of(listed) is not None:
            label = getattr(field, "extended_by", None)
            added = "" if label is None else f"Module {label!r} adds a field to its type: "
            raise ImproperlyConfigured(
                f"{added}{model._meta.label}.{field.python_name} lists {listed._meta.label} "
                "rows without district rights: declare it with prefetched_list or "
                "prefetched_connection (backend.graphql.relations)."
            )
        relation = None if model is None else referred_relation(field, model)
        if relation is None or placement_of(relation.related_model) is None:
            continue
        if implies_readable(model, relation.name) or readable_ref(field):
            continue
        extension = ReadableRef(relation)
        if extension.history_only:  # which rows are history rows: their validity_to
            hints = OptimizerStore.with_hints(only=["validity_to"])
        else:
            annotation = named(extension.flag, extension.annotation)
            hints = OptimizerStore.with_hints(annotate={extension.flag: annotation})
        field.store = field.store | hints
        field.extensions.append(extension)


def readable_ref(field: Any) -> bool:
    """True when the field answers only readable rows through a :class:`ReadableRef`."""
    return any(isinstance(e, ReadableRef) for e in getattr(field, "extensions", ()))
