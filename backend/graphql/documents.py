"""Work done once per distinct GraphQL document, not once per request.

strawberry's ``ParserCache`` hands out the same ``DocumentNode`` object for the same query
text (an LRU of :data:`DOCUMENT_CACHE_SIZE` documents) and ``ValidationCache`` validates
it once. What the guard rails compute from the document alone (the fields once fragments
are expanded, the node estimate of an operation without variables) is cached the same
way with :func:`per_document`, keyed by that object.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from graphql import DocumentNode

#: Parsed and validated documents kept per process (LRU): a client sends the same few
#: documents again and again, so parsing and validating them once is enough.
DOCUMENT_CACHE_SIZE = 256

T = TypeVar("T")


def per_document(func: Callable[..., T]) -> Callable[..., T]:
    """Cache ``func(document, *key)`` per document object and hashable ``key`` (LRU of
    :data:`DOCUMENT_CACHE_SIZE` entries).

    The entry keeps its document, so an object id is never taken for another document's;
    a document parsed anew (a text out of the parser cache) is a new key.
    """
    cache: OrderedDict[tuple, tuple[DocumentNode, Any]] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(func)
    def cached(document: DocumentNode, *key: Hashable) -> T:
        slot = (id(document), *key)
        with lock:
            hit = cache.get(slot)
            if hit is not None and hit[0] is document:
                cache.move_to_end(slot)
                return hit[1]
        value = func(document, *key)
        with lock:
            cache[slot] = (document, value)
            if len(cache) > DOCUMENT_CACHE_SIZE:
                cache.popitem(last=False)
        return value

    cached.cache_clear = cache.clear  # type: ignore[attr-defined]
    return cached
