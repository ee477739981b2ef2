"""What a read of earlier versions (``validity: {at}`` or ``{includeHistory: true}``)
cannot answer: relations read today.

A root connection read with ``validity: {at: T}`` returns the versions valid at T, one
read with ``validity: {includeHistory: true}`` every version, history rows included.
Filters at an instant follow the tree as it was at T (the module's queryset, e.g.
``LocationQuerySet.below_any``), but a relation of such a row is read from today's rows:
a foreign key points at the current row (its values of today), a list or count of
related rows (``children``, ``payers``, their counts and connections) lists today's
current rows pointing at this version's id, which a history row never has. Rather than
answer such a selection with today's data, the read is refused, naming the argument and
the fields (README "History and validity"). The versions of a row (``history``) are
answered: they do not depend on the instant.

A field says it is such a relation in its strawberry ``metadata`` (:data:`READ_TODAY`,
set by the core's relation factories), or is a foreign key to a versioned model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    get_named_type,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry_django.utils.typing import get_django_definition

from backend.errors import UserInputError
from backend.graphql.readable_refs import referred_relation

#: Key of a field's ``metadata``: True when the field reads today's rows whatever
#: instant its parent row was read at.
READ_TODAY = "reads_today"


@dataclass(frozen=True)
class Selection:
    """A root field's selection as both executors see it: the graphql-core ``schema``,
    the document's ``fragments`` (name -> definition) and the root field's
    ``field_nodes``."""

    schema: Any
    fragments: dict[str, Any]
    field_nodes: list[FieldNode]


def selection_of(info: Any) -> Selection | None:
    """The :class:`Selection` of the root field ``info`` resolves (strawberry's ``Info``
    on the general path, the compiler's namespace holding ``selection`` otherwise);
    None when unknown."""
    given = getattr(info, "selection", None)
    if given is not None:
        return given
    raw = getattr(info, "_raw_info", None)
    if raw is None:
        return None
    return Selection(raw.schema, raw.fragments, list(raw.field_nodes))


def _definition(gobject: Any) -> Any:
    """The strawberry definition behind a graphql-core type or field (None if none)."""
    return (gobject.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)


def _reads_today(gtype: GraphQLObjectType, name: str) -> bool:
    """Whether the field ``name`` of ``gtype`` reads today's rows (module docstring)."""
    field = _definition(gtype.fields[name])
    if field is None:
        return False
    if (getattr(field, "metadata", None) or {}).get(READ_TODAY):
        return True
    owner = _definition(gtype)
    django = get_django_definition(owner.origin) if owner is not None else None
    relation = referred_relation(field, django.model) if django is not None else None
    return relation is not None and hasattr(relation.related_model, "validity_to")


def _walk(selection: Selection, gtype: Any, nodes: list, found: list[str], seen: set) -> None:
    for node in nodes:
        if isinstance(node, FragmentSpreadNode):
            if node.name.value in seen:
                continue
            fragment = selection.fragments.get(node.name.value)
            if fragment is not None:
                inner = selection.schema.get_type(fragment.type_condition.name.value)
                _walk(
                    selection,
                    inner,
                    fragment.selection_set.selections,
                    found,
                    seen | {node.name.value},
                )
        elif isinstance(node, InlineFragmentNode):
            inner = gtype
            if node.type_condition is not None:
                inner = selection.schema.get_type(node.type_condition.name.value)
            _walk(selection, inner, node.selection_set.selections, found, seen)
        elif isinstance(gtype, GraphQLObjectType | GraphQLInterfaceType):
            name = node.name.value
            if name not in gtype.fields:
                continue
            if isinstance(gtype, GraphQLObjectType) and _reads_today(gtype, name):
                label = f"{gtype.name}.{name}"
                if label not in found:
                    found.append(label)
            elif node.selection_set is not None:
                inner = get_named_type(gtype.fields[name].type)
                _walk(selection, inner, node.selection_set.selections, found, seen)


#: What each way of reading earlier versions returns (the argument, as the caller
#: wrote it -> the rows, for the message of :func:`refuse_relations_of_today`).
VERSIONS_READ = {
    "validity.at": "the rows as they were at that instant",
    "validity.includeHistory": "the rows as they were in each version",
}


def refuse_relations_of_today(info: Any, argument: str) -> None:
    """Raise ``UserInputError`` naming every field of the root field's selection (any
    depth, fragments included) that reads today's rows (see the module docstring), for
    a root read of earlier versions: ``argument`` is a key of :data:`VERSIONS_READ`
    (``"validity.at"``). Nothing when none is selected.

    Message: ``validity.at cannot be combined with Location.children, Location.parent:
    these follow today's rows, not the rows as they were at that instant.``
    """
    selection = selection_of(info)
    if selection is None:
        return
    found: list[str] = []
    root = selection.schema.query_type
    for node in selection.field_nodes:
        if node.selection_set is not None:
            inner = get_named_type(root.fields[node.name.value].type)
            _walk(selection, inner, node.selection_set.selections, found, set())
    if found:
        raise UserInputError(
            f"{argument} cannot be combined with {', '.join(found)}: "
            f"these follow today's rows, not {VERSIONS_READ[argument]}."
        )
