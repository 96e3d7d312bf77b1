"""Delivering approved replies: a signed webhook to a receiver on 127.0.0.1, retries, and no duplicates."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from apikeys.access import Access
from apikeys.services import api_key_create
from reviews.delivery import delivery_send, payload_bytes
from reviews.models import Delivery, DeliveryAttempt, WebhookEndpoint
from reviews.services import draft_approve
from reviews.signing import DELIVERY_HEADER, EVENT_HEADER, InvalidSignature, sign, verify_signature
from reviews.tasks import backoff_seconds, deliver_webhook_task
from reviews.tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer() -> Access:
    user = get_user_model().objects.create_user(username="rep", password=None, is_staff=True)
    return Access.for_user(user)


def _approve(reviewer, draft, capture, text=None):
    with capture(execute=True):
        return draft_approve(access=reviewer, output_id=draft.pk, text=text).decision


def test_an_approved_reply_is_delivered_signed_to_the_configured_webhook(
    make_draft, reviewer, webhook, django_capture_on_commit_callbacks
):
    # Given a draft and the default webhook channel
    draft = make_draft(prospect_id="prospect_005")

    # When it is approved (the task runs when the approval commits)
    decision = _approve(reviewer, draft, django_capture_on_commit_callbacks, text="Yes, we can.")

    # Then the receiver got one request whose signature verifies with the shared secret
    assert len(webhook.requests) == 1
    received = webhook.requests[0]
    assert received.verified
    body = received.json
    delivery = Delivery.objects.get(decision=decision)
    assert received.delivery_id == str(delivery.id) == body["delivery_id"]
    assert received.headers[EVENT_HEADER] == "draft.approved"
    assert body["event"] == "draft.approved"
    assert body["text"] == "Yes, we can."
    assert body["conversation_id"] == draft.analysis.conversation_id
    assert body["message_id"] == decision.message_id
    assert body["prospect_id"] == "prospect_005"
    assert body["approved_by"] == "user:rep"
    assert body["approved_at"] == decision.decided_at.isoformat()
    # And the delivery is logged as delivered after one attempt
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED
    assert delivery.delivered_at is not None
    attempt = delivery.attempts.get()
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")
    assert '"ok"' in attempt.response_excerpt


def _run_retries(delivery_id: str) -> None:
    """Run the task's retries in process, as a worker would, until it stops asking for one."""
    for retries in range(1, 20):
        result = deliver_webhook_task.apply(args=[delivery_id], retries=retries, throw=False)
        if result.state != "RETRY":
            return
    raise AssertionError("the task kept retrying")


def test_a_delivery_that_fails_once_asks_for_a_retry_which_delivers_it_once(
    make_draft, reviewer, webhook, django_capture_on_commit_callbacks
):
    # Given a receiver that answers 500 to the first request
    webhook.statuses.append(500)
    draft = make_draft()

    # When the draft is approved: the first try fails and the task asks to be retried
    decision = _approve(reviewer, draft, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(decision=decision)
    assert delivery.state == Delivery.State.PENDING
    assert delivery.attempt_count == 1

    # And the retry runs
    _run_retries(str(delivery.id))

    # Then two attempts are logged, the same delivery id and body were sent twice, one was accepted
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED
    attempts = list(delivery.attempts.values_list("number", "status_code", "error"))
    assert attempts == [(1, 500, "HTTP 500"), (2, 200, "")]
    assert [item.delivery_id for item in webhook.requests] == [str(delivery.id)] * 2
    assert webhook.requests[0].body == webhook.requests[1].body
    assert len(webhook.accepted) == 1


def test_backoff_doubles_per_retry_up_to_ten_minutes(settings):
    settings.OUTBOUND_WEBHOOK_BACKOFF_SECONDS = 5

    assert [backoff_seconds(n) for n in (0, 1, 2, 3)] == [5, 10, 20, 40]
    assert backoff_seconds(12) == 600


def test_a_retried_task_never_resends_a_delivered_delivery(
    make_draft, reviewer, webhook, django_capture_on_commit_callbacks
):
    # Given a delivered reply
    decision = _approve(reviewer, make_draft(), django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(decision=decision)
    assert len(webhook.requests) == 1

    # When the task runs again (a broker redelivery, a manual retry)
    deliver_webhook_task.delay(str(delivery.id))

    # Then nothing more is sent or logged
    assert len(webhook.requests) == 1
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 1


def test_a_client_error_fails_the_delivery_without_retrying(
    make_draft, reviewer, webhook, django_capture_on_commit_callbacks
):
    webhook.statuses.append(410)

    decision = _approve(reviewer, make_draft(), django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(decision=decision)
    assert delivery.state == Delivery.State.FAILED
    assert delivery.last_error == "HTTP 410"
    assert delivery.attempt_count == 1


def test_an_unreachable_receiver_is_retried_up_to_the_limit_then_failed(
    make_draft, reviewer, settings, django_capture_on_commit_callbacks
):
    # Given a webhook URL where nothing listens, and three tries allowed
    settings.OUTBOUND_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    settings.OUTBOUND_WEBHOOK_SECRET = "s3cret"
    settings.OUTBOUND_WEBHOOK_BACKOFF_SECONDS = 0.01
    settings.OUTBOUND_WEBHOOK_MAX_ATTEMPTS = 3

    # When a draft is approved and the task retried as long as it asks
    decision = _approve(reviewer, make_draft(), django_capture_on_commit_callbacks)
    _run_retries(str(decision.delivery.id))

    # Then three attempts were made, each with the connection error, and the delivery failed;
    # the approval itself (and the recorded reply) stands
    delivery = Delivery.objects.get(decision=decision)
    assert delivery.state == Delivery.State.FAILED
    assert delivery.attempt_count == 3
    assert all(error for error in delivery.attempts.values_list("error", flat=True))
    assert decision.message_id is not None


def test_an_endpoint_linked_to_a_key_receives_that_keys_conversations(
    make_draft, reviewer, settings, django_user_model, django_capture_on_commit_callbacks
):
    # Given two receivers: one for the inbox key's conversations, the default for the rest
    settings.OUTBOUND_WEBHOOK_BACKOFF_SECONDS = 0.01
    inbox, default = WebhookReceiver(secret="inbox-secret").start(), WebhookReceiver().start()
    try:
        user = django_user_model.objects.create_user(username="inbox", password=None)
        key, _ = api_key_create(user=user, name="inbox", scopes=[])
        WebhookEndpoint.objects.create(name="inbox", url=inbox.url, secret=inbox.secret, api_key=key)
        WebhookEndpoint.objects.create(name="default", url=default.url, secret=default.secret)

        # When a draft in each kind of conversation is approved
        _approve(reviewer, make_draft(api_key=key), django_capture_on_commit_callbacks)
        _approve(reviewer, make_draft(), django_capture_on_commit_callbacks)

        # Then each receiver got exactly its own, signed with its own secret
        assert len(inbox.accepted) == 1
        assert len(default.accepted) == 1
        assert inbox.accepted[0].json["conversation_id"] != default.accepted[0].json["conversation_id"]
    finally:
        inbox.stop()
        default.stop()


def test_without_a_secret_the_delivery_fails_visibly_rather_than_sending_unsigned(
    make_draft, reviewer, settings, receiver, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_WEBHOOK_URL = receiver.url
    settings.OUTBOUND_WEBHOOK_SECRET = ""

    decision = _approve(reviewer, make_draft(), django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(decision=decision)
    assert delivery.state == Delivery.State.FAILED
    assert "secret" in delivery.last_error
    assert receiver.requests == []


def test_delivery_send_skips_a_delivery_with_no_channel(make_draft, reviewer):
    decision = draft_approve(access=reviewer, output_id=make_draft().pk).decision

    delivery = delivery_send(delivery_id=str(decision.delivery.id))

    assert delivery is not None
    assert delivery.state == Delivery.State.NO_CHANNEL
    assert not DeliveryAttempt.objects.exists()


def test_verify_signature_accepts_ours_and_refuses_tampering_old_timestamps_and_other_secrets():
    body = payload_bytes({"event": "draft.approved", "text": "Hello"})
    header = sign(payload=body, secret="k", timestamp=1_700_000_000)

    assert verify_signature(payload=body, header=header, secret="k", now=1_700_000_100) == 1_700_000_000
    with pytest.raises(InvalidSignature):
        verify_signature(payload=body + b" ", header=header, secret="k", now=1_700_000_100)
    with pytest.raises(InvalidSignature):
        verify_signature(payload=body, header=header, secret="other", now=1_700_000_100)
    with pytest.raises(InvalidSignature, match="300"):
        verify_signature(payload=body, header=header, secret="k", now=1_700_000_301)
    with pytest.raises(InvalidSignature):
        verify_signature(payload=body, header="v1=abc", secret="k")
    assert json.loads(body) == {"event": "draft.approved", "text": "Hello"}
    assert DELIVERY_HEADER == "Salesagent-Delivery-Id"
