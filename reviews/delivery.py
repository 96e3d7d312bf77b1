"""Outbound delivery of approved replies: choosing the channel, and sending one signed webhook attempt.

The channel is data: the active :class:`WebhookEndpoint` linked to the API key that created the
conversation, else an active endpoint linked to no key, else ``OUTBOUND_WEBHOOK_URL`` with
``OUTBOUND_WEBHOOK_SECRET``; with none, the delivery is marked ``no_channel`` (the reply is still
recorded in the conversation). :func:`delivery_send` is what the Celery task calls: it sends under a
row lock, logs the attempt, and never sends a delivery that is no longer pending, so a retried or
redelivered task cannot deliver twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations.models import Conversation
from reviews.models import Delivery, DeliveryAttempt, ReviewDecision, WebhookEndpoint
from reviews.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign

APPROVED_EVENT = "draft.approved"
EXCERPT_CHARS = 500


class DeliveryRetryable(Exception):
    """The attempt failed in a way worth retrying (connection error, timeout, 5xx, 429)."""


@dataclass(frozen=True)
class Channel:
    url: str
    endpoint: WebhookEndpoint | None


def channel_for(conversation: Conversation) -> Channel | None:
    """Where replies in this conversation are delivered (see the module docstring), or None."""
    endpoints = WebhookEndpoint.objects.filter(is_active=True).order_by("id")
    endpoint = None
    if conversation.api_key_id:
        endpoint = endpoints.filter(api_key_id=conversation.api_key_id).first()
    endpoint = endpoint or endpoints.filter(api_key__isnull=True).first()
    if endpoint is not None:
        return Channel(url=endpoint.url, endpoint=endpoint)
    if settings.OUTBOUND_WEBHOOK_URL:
        return Channel(url=settings.OUTBOUND_WEBHOOK_URL, endpoint=None)
    return None


def delivery_prepare(*, decision: ReviewDecision, conversation: Conversation, approved_by: str) -> Delivery:
    """The delivery of an approved reply, with its body fixed now (call inside the approval)."""
    channel = channel_for(conversation)
    delivery = Delivery(
        decision=decision,
        endpoint=channel.endpoint if channel else None,
        url=channel.url if channel else "",
        event=APPROVED_EVENT,
        state=Delivery.State.PENDING if channel else Delivery.State.NO_CHANNEL,
    )
    delivery.payload = {
        "event": APPROVED_EVENT,
        "delivery_id": str(delivery.id),
        "draft_id": decision.output_id,
        "conversation_id": conversation.pk,
        "message_id": decision.message_id,
        "prospect_id": conversation.external_prospect_id or None,
        "text": decision.sent_text,
        "approved_by": approved_by,
        "approved_at": decision.decided_at.isoformat(),
    }
    delivery.save()
    return delivery


def payload_bytes(payload: dict[str, Any]) -> bytes:
    """The exact body sent (and signed): compact JSON with sorted keys, the same bytes on every retry."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def _secret(delivery: Delivery) -> str:
    return delivery.endpoint.secret if delivery.endpoint else settings.OUTBOUND_WEBHOOK_SECRET


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    excerpt: str
    error: str
    retryable: bool

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(delivery: Delivery, secret: str) -> _Outcome:
    body = payload_bytes(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "salesagent-webhooks/1",
        SIGNATURE_HEADER: sign(payload=body, secret=secret),
        DELIVERY_HEADER: str(delivery.id),
        EVENT_HEADER: delivery.event,
    }
    try:
        response = httpx.post(
            delivery.url,
            content=body,
            headers=headers,
            timeout=settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except httpx.UnsupportedProtocol as error:
        return _Outcome(None, "", f"unsupported URL: {error}"[:EXCERPT_CHARS], retryable=False)
    except httpx.TimeoutException as error:
        return _Outcome(None, "", f"timed out: {error}"[:EXCERPT_CHARS], retryable=True)
    except httpx.TransportError as error:
        return _Outcome(None, "", f"{type(error).__name__}: {error}"[:EXCERPT_CHARS], retryable=True)
    except httpx.InvalidURL as error:
        return _Outcome(None, "", f"invalid URL: {error}"[:EXCERPT_CHARS], retryable=False)
    code = response.status_code
    excerpt = response.text[:EXCERPT_CHARS]
    retryable = code >= 500 or code == 429
    problem = "" if 200 <= code < 300 else f"HTTP {code}"
    return _Outcome(code, excerpt, problem, retryable)


def delivery_send(*, delivery_id: str) -> Delivery | None:
    """Make one attempt at a pending delivery and log it; raises :class:`DeliveryRetryable` to retry.

    The row stays locked while the request is in flight, so two workers never send the same
    delivery at once (the second skips it); one that is delivered, failed or without a channel is
    not sent again. After ``OUTBOUND_WEBHOOK_MAX_ATTEMPTS`` tries, or an answer not worth retrying
    (a 4xx other than 429), the delivery is failed.
    """
    retry_error = ""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != Delivery.State.PENDING:
            return delivery
        secret = _secret(delivery)
        started = time.monotonic()
        if not secret:
            outcome = _Outcome(None, "", "no signing secret configured (OUTBOUND_WEBHOOK_SECRET)", False)
        else:
            outcome = _post(delivery, secret)
        delivery.attempt_count += 1
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempt_count,
            at=timezone.now(),
            status_code=outcome.status_code,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
            duration_ms=round((time.monotonic() - started) * 1000, 2),
        )
        delivery.last_error = outcome.error
        if outcome.delivered:
            delivery.state = Delivery.State.DELIVERED
            delivery.delivered_at = timezone.now()
        elif outcome.retryable and delivery.attempt_count < settings.OUTBOUND_WEBHOOK_MAX_ATTEMPTS:
            retry_error = outcome.error
        else:
            delivery.state = Delivery.State.FAILED
        delivery.save(update_fields=["attempt_count", "last_error", "state", "delivered_at"])
    if retry_error:
        # Raised after the commit, so the logged attempt is kept.
        raise DeliveryRetryable(f"delivery {delivery_id}: {retry_error}")
    return delivery
