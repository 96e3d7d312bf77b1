"""The words the knowledge base uses, to tell a question it can answer from one it cannot.

A prospect asking about a tool or a standard the knowledge base never mentions ("HIPAA", "Jira")
must get "let me check with the team", not a nearby answer about something else. The vocabulary is
built from the active documents' chunks and cached per index version, so edits are seen at once.
"""

from __future__ import annotations

import re
import threading

from django.db import connection

from knowledge.index_version import search_version

WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)

_cache: tuple[int, frozenset[str]] | None = None
_lock = threading.Lock()


def words_of(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


def knowledge_vocabulary() -> frozenset[str]:
    """Every lower-case word in the active knowledge base (titles, headings and chunk text)."""
    global _cache
    version = search_version()
    if _cache is not None and _cache[0] == version:
        return _cache[1]
    with _lock:
        if _cache is not None and _cache[0] == version:
            return _cache[1]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT d.title, c.heading_path, c.text FROM knowledge_chunk c "
                "JOIN knowledge_document d ON d.id = c.document_id WHERE d.is_active"
            )
            words = {word for row in cursor.fetchall() for part in row for word in words_of(part or "")}
        _cache = (version, frozenset(words))
        return _cache[1]


def unknown_terms(terms: list[str]) -> list[str]:
    """The terms (canonical, lower-case: "power bi") that the knowledge base does not use, i.e. one
    of whose words it never contains ("google workspace": it mentions Google, never Workspace)."""
    vocabulary = knowledge_vocabulary()
    return [term for term in terms if not all(word in vocabulary for word in words_of(term))]
