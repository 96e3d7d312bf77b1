"""The CRM client the agent talks to: an interface, the local database backend, and caching.

The agent only sees :class:`ProspectRecord` values, so a remote CRM (Salesforce, HubSpot) can be
added as another backend without touching the pipeline.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from crm.models import Interaction, Prospect

logger = logging.getLogger(__name__)
CACHE_PREFIX = "crm:prospect:v1:"


class CRMUnavailable(RuntimeError):
    """The CRM could not be reached; the turn goes on without CRM data."""


@dataclass(frozen=True)
class ProspectRecord:
    prospect_id: str
    name: str
    email: str = ""
    company: str = ""
    industry: str = ""
    employees: int | None = None
    lead_score: int = 0
    stage: str = ""
    technologies: list[str] = field(default_factory=list)
    notes: str = ""
    last_contacted_at: str | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class CRMClient(Protocol):
    def get_prospect(self, external_id: str) -> ProspectRecord | None:
        """The prospect with this id, or None when the CRM does not know it."""

    def log_interaction(
        self, *, external_id: str, kind: str, summary: str, conversation_id: int | None = None
    ) -> None:
        """Record an interaction with a known prospect."""


def _record_from_model(prospect: Prospect) -> ProspectRecord:
    return ProspectRecord(
        prospect_id=prospect.external_id,
        name=prospect.name,
        email=prospect.email,
        company=prospect.company,
        industry=prospect.industry,
        employees=prospect.employees,
        lead_score=prospect.lead_score,
        stage=prospect.stage,
        technologies=list(prospect.technologies or []),
        notes=prospect.notes,
        last_contacted_at=prospect.last_contacted_at.isoformat() if prospect.last_contacted_at else None,
    )


class LocalCRMClient:
    """The CRM is this project's own ``crm`` tables."""

    def get_prospect(self, external_id: str) -> ProspectRecord | None:
        prospect = Prospect.objects.filter(external_id=external_id).first()
        return _record_from_model(prospect) if prospect else None

    def log_interaction(
        self, *, external_id: str, kind: str, summary: str, conversation_id: int | None = None
    ) -> None:
        prospect = Prospect.objects.filter(external_id=external_id).first()
        if prospect is None:
            return
        Interaction.objects.create(
            prospect=prospect, conversation_id=conversation_id, kind=kind, summary=summary[:2000]
        )
        Prospect.objects.filter(pk=prospect.pk).update(last_contacted_at=timezone.now())
        invalidate_prospect_cache(external_id)


class CachedCRMClient:
    """Caches lookups (including "not found") for a short TTL; the CRM is read on every turn."""

    _MISSING = "__missing__"

    def __init__(self, backend: CRMClient, ttl_seconds: int) -> None:
        self.backend = backend
        self.ttl_seconds = ttl_seconds

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


def invalidate_prospect_cache(external_id: str) -> None:
    cache.delete(CACHE_PREFIX + external_id)


def get_crm_client() -> CRMClient:
    """The configured CRM backend, cached."""
    backends: dict[str, type] = {"local": LocalCRMClient}
    backend_class = backends.get(settings.CRM_BACKEND)
    if backend_class is None:
        raise ValueError(f"unknown CRM_BACKEND {settings.CRM_BACKEND!r}; expected one of {sorted(backends)}")
    return CachedCRMClient(backend_class(), settings.CRM_CACHE_SECONDS)
