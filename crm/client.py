"""The CRM client the agent and the proposals talk to: the configured backend behind a cache.

The interface and records are in ``crm/interface.py``, the backends in ``crm/backends/``; this module
picks one from ``CRM_BACKEND`` (``local``, the default, or ``hubspot``) and re-exports what callers
need, so ``from crm.client import ...`` stays the one import for the rest of the project.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from crm.backends.hubspot import HubSpotCRMClient
from crm.backends.local import LocalCRMClient
from crm.cache import CACHE_PREFIX, CachedCRMClient, invalidate_prospect_cache
from crm.interface import (
    Contact,
    ContactNotFound,
    CRMClient,
    CRMError,
    CRMRateLimited,
    CRMRequestRejected,
    CRMUnavailable,
    ProspectRecord,
)

__all__ = [
    "BACKENDS",
    "CACHE_PREFIX",
    "CRMClient",
    "CRMError",
    "CRMRateLimited",
    "CRMRequestRejected",
    "CRMUnavailable",
    "CachedCRMClient",
    "Contact",
    "ContactNotFound",
    "HubSpotCRMClient",
    "LocalCRMClient",
    "ProspectRecord",
    "get_crm_client",
    "invalidate_prospect_cache",
]

BACKENDS = ("local", "hubspot")


@lru_cache(maxsize=4)
def _hubspot(
    token: str, base_url: str, id_property: str, timeout: float, retries: int, backoff: float
) -> HubSpotCRMClient:
    # One HTTP connection pool per configuration, reused across turns and tasks.
    return HubSpotCRMClient(
        access_token=token,
        base_url=base_url,
        id_property=id_property,
        timeout_seconds=timeout,
        max_retries=retries,
        backoff_seconds=backoff,
    )


def _backend(name: str) -> CRMClient:
    if name == "local":
        return LocalCRMClient()
    if name == "hubspot":
        return _hubspot(
            settings.HUBSPOT_ACCESS_TOKEN,
            settings.HUBSPOT_BASE_URL,
            settings.HUBSPOT_ID_PROPERTY,
            settings.HUBSPOT_TIMEOUT_SECONDS,
            settings.HUBSPOT_MAX_RETRIES,
            settings.HUBSPOT_BACKOFF_SECONDS,
        )
    raise ValueError(f"unknown CRM_BACKEND {name!r}; expected one of {list(BACKENDS)}")


def get_crm_client() -> CRMClient:
    """The configured CRM backend, its lookups cached for ``CRM_CACHE_SECONDS``."""
    return CachedCRMClient(_backend(settings.CRM_BACKEND), settings.CRM_CACHE_SECONDS)
