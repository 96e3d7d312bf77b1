"""Writes to the local CRM. The API, the admin and the demo loader all go through here.

Every prospect write needs ``crm:write`` and drops the prospect's cached record once the transaction
commits (under the old and the new external id), so turns never read a stale lead score. Interactions
the agent logs after a turn go through a Celery task (:func:`interaction_log_on_commit`).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction

from apikeys.access import Access, Scope
from crm.client import invalidate_prospect_cache
from crm.models import Prospect
from crm.tasks import log_interaction_task

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "external_id",
    "name",
    "email",
    "company",
    "industry",
    "employees",
    "lead_score",
    "stage",
    "technologies",
    "notes",
    "last_contacted_at",
)


def _invalidate_on_commit(*external_ids: str) -> None:
    for external_id in dict.fromkeys(external_ids):
        transaction.on_commit(partial(invalidate_prospect_cache, external_id))


def _apply(prospect: Prospect, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown prospect fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(prospect, name, value)


@transaction.atomic
def prospect_create(*, access: Access, **fields: Any) -> Prospect:
    """Create a prospect."""
    access.require(Scope.CRM_WRITE)
    prospect = Prospect()
    _apply(prospect, fields)
    prospect.save()
    _invalidate_on_commit(prospect.external_id)
    return prospect


@transaction.atomic
def prospect_update(*, access: Access, prospect: Prospect, **fields: Any) -> Prospect:
    """Change a prospect's fields (its external id too)."""
    access.require(Scope.CRM_WRITE)
    previous_id = Prospect.objects.filter(pk=prospect.pk).values_list("external_id", flat=True).first()
    _apply(prospect, fields)
    prospect.save()
    _invalidate_on_commit(*(item for item in (previous_id, prospect.external_id) if item))
    return prospect


def prospect_save(*, access: Access, prospect: Prospect) -> Prospect:
    """Save a prospect edited in place (the admin's form), new or existing."""
    if prospect.pk is None:
        access.require(Scope.CRM_WRITE)
        with transaction.atomic():
            prospect.save()
            _invalidate_on_commit(prospect.external_id)
        return prospect
    return prospect_update(access=access, prospect=prospect)


@transaction.atomic
def prospect_delete(*, access: Access, prospect: Prospect) -> None:
    """Delete a prospect and (by cascade) its interactions."""
    access.require(Scope.CRM_WRITE)
    external_id = prospect.external_id
    prospect.delete()
    _invalidate_on_commit(external_id)


def _enqueue_interaction_log(payload: dict[str, Any]) -> None:
    try:
        log_interaction_task.delay(**payload)
    except Exception:
        # The turn is committed; a broker outage must not turn it into an error for the client.
        logger.exception("could not queue the CRM interaction for %s", payload.get("external_id"))


def interaction_log_on_commit(
    *, external_id: str, kind: str, summary: str, conversation_id: int | None = None
) -> None:
    """Log an interaction by a retried Celery task once the current transaction commits."""
    payload = {
        "external_id": external_id,
        "kind": kind,
        "summary": summary,
        "conversation_id": conversation_id,
    }
    transaction.on_commit(lambda: _enqueue_interaction_log(payload), robust=True)
