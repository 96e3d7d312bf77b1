"""Approved replies delivered through a real broker and a real Celery worker process."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model

from apikeys.access import Access
from reviews.models import Delivery, WebhookEndpoint
from reviews.services import draft_approve

# The worker is another process: it sees only committed rows, so these tests really commit.
pytestmark = pytest.mark.django_db(transaction=True)

WORKER_TIMEOUT = 60


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WORKER_TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def fast_retries(monkeypatch) -> None:
    """The worker reads its settings from the environment when it starts: retry after 0.2 s."""
    monkeypatch.setenv("OUTBOUND_WEBHOOK_BACKOFF_SECONDS", "0.2")


@pytest.fixture
def reviewer() -> Access:
    return Access.for_user(get_user_model().objects.create_user(username="rep", password=None, is_staff=True))


def test_the_worker_delivers_an_approved_reply_retrying_after_a_server_error(
    fast_retries, celery_worker, make_draft, receiver, reviewer
):
    # Given a client's webhook endpoint (stored, so the worker finds it) that fails the first request
    WebhookEndpoint.objects.create(name="client", url=receiver.url, secret=receiver.secret)
    receiver.statuses.append(503)
    draft = make_draft(draft="Our Standard plan is $49 per seat.")

    # When a reviewer approves the draft with an edit
    decision = draft_approve(
        access=reviewer, output_id=draft.pk, text="Our Standard plan is $49 per user."
    ).decision

    # Then the worker delivers it: two attempts, one accepted, signed and carrying the sent text
    _wait_for(
        lambda: Delivery.objects.get(decision=decision).state == Delivery.State.DELIVERED,
        "the worker to deliver the webhook",
    )
    delivery = Delivery.objects.get(decision=decision)
    assert list(delivery.attempts.values_list("status_code", flat=True)) == [503, 200]
    assert len(receiver.accepted) == 1
    assert receiver.accepted[0].json["text"] == "Our Standard plan is $49 per user."
    assert receiver.accepted[0].delivery_id == str(delivery.id)
