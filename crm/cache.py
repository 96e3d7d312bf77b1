"""The CRM record cache: turns read the CRM on every message, so lookups are cached for a short TTL.

Every write drops the prospect's cached record now and again once the transaction commits: "now" so
this transaction reads its own write, "on commit" so a turn that cached the old record meanwhile
does not keep it.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import transaction

from crm.interface import Contact, CRMClient, ProspectRecord

CACHE_PREFIX = "crm:prospect:v1:"


def invalidate_prospect_cache(external_id: str) -> None:
    cache.delete(CACHE_PREFIX + external_id)


def invalidate_prospect_cache_on_commit(*external_ids: str) -> None:
    """Drop the cached records now and once the current transaction commits."""
    for external_id in dict.fromkeys(item for item in external_ids if item):
        invalidate_prospect_cache(external_id)
        transaction.on_commit(partial(invalidate_prospect_cache, external_id))


class CachedCRMClient:
    """Caches lookups (including "not found"); writes pass through and drop the written record."""

    _MISSING = "__missing__"

    def __init__(self, backend: CRMClient, ttl_seconds: int) -> None:
        self.backend = backend
        self.ttl_seconds = ttl_seconds
        self.name = backend.name
        self.transactional = backend.transactional

    def get_prospect(self, external_id: str) -> ProspectRecord | None:
        key = CACHE_PREFIX + external_id
        cached = cache.get(key)
        if cached == self._MISSING:
            return None
        if cached is not None:
            return ProspectRecord(**cached)
        record = self.backend.get_prospect(external_id)
        cache.set(key, record.as_dict() if record else self._MISSING, self.ttl_seconds)
        return record

    def log_interaction(
        self, *, external_id: str, kind: str, summary: str, conversation_id: int | None = None
    ) -> None:
        self.backend.log_interaction(
            external_id=external_id, kind=kind, summary=summary, conversation_id=conversation_id
        )
        invalidate_prospect_cache(external_id)

    def find_contact(self, *, prospect_id: str = "", email: str = "") -> Contact | None:
        return self.backend.find_contact(prospect_id=prospect_id, email=email)

    def read_contact(self, remote_id: str) -> Contact:
        return self.backend.read_contact(remote_id)

    def create_contact(self, *, prospect_id: str, fields: dict[str, Any]) -> Contact:
        contact = self.backend.create_contact(prospect_id=prospect_id, fields=fields)
        invalidate_prospect_cache_on_commit(prospect_id, contact.record.prospect_id)
        return contact

    def update_contact(self, remote_id: str, fields: dict[str, Any]) -> Contact:
        contact = self.backend.update_contact(remote_id, fields)
        invalidate_prospect_cache_on_commit(contact.record.prospect_id)
        return contact

    def add_note(self, remote_id: str, *, body: str, conversation_id: int | None = None) -> str:
        return self.backend.add_note(remote_id, body=body, conversation_id=conversation_id)

    def create_task(self, remote_id: str, *, title: str, body: str, due_at: datetime) -> str:
        return self.backend.create_task(remote_id, title=title, body=body, due_at=due_at)
