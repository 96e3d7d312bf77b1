"""The knowledge index's version: a counter bumped whenever indexed chunks change.

Everything cached from the index (search results, filter row counts, common lexemes, the vocabulary)
is keyed by it, so one increment after a reindex or an edit makes every process read afresh.
"""

from __future__ import annotations

import hashlib
import json

from django.core.cache import cache

SEARCH_VERSION_KEY = "knowledge:search-version"
SEARCH_CACHE_TIMEOUT = 300


def search_version() -> int:
    """A counter bumped whenever the indexed chunks change; part of every derived cache key."""
    # The key only ever holds a positive int; the cache API types a missing value as None.
    return cache.get_or_set(SEARCH_VERSION_KEY, 1, timeout=None) or 1


def bump_search_version() -> None:
    """Invalidate everything cached from the index (call after chunks change)."""
    try:
        cache.incr(SEARCH_VERSION_KEY)
    except ValueError:
        cache.set(SEARCH_VERSION_KEY, 2, timeout=None)


def index_cache_key(kind: str, *parts: object) -> str:
    """A cache key for something derived from the index: its kind, the index version and a digest of
    what it was derived from."""
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]
    return f"knowledge:{kind}:{search_version()}:{digest}"
