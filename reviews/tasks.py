"""Celery tasks for reviews: thin wrappers that own retry policy only."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from reviews.delivery import DeliveryRetryable, delivery_send
from salesagent.faults import TRANSIENT_ERRORS

BACKOFF_CAP_SECONDS = 600


def backoff_seconds(retries: int) -> float:
    """Exponential backoff: OUTBOUND_WEBHOOK_BACKOFF_SECONDS doubled per retry, at most 10 minutes."""
    return float(min(BACKOFF_CAP_SECONDS, settings.OUTBOUND_WEBHOOK_BACKOFF_SECONDS * 2**retries))


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=BACKOFF_CAP_SECONDS,
    max_retries=None,
)
def deliver_webhook_task(self, delivery_id: str) -> dict[str, object]:
    try:
        delivery = delivery_send(delivery_id=delivery_id)
    except DeliveryRetryable as exc:
        # The service counts attempts and fails the delivery at the limit; we only choose when to retry.
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    return {"delivery_id": delivery_id, "state": delivery.state if delivery else "skipped"}
