"""Fixtures for the reviews tests: drafts made directly (no agent run), and a webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reviews.tests.factories import DraftFactory, draft_create
from reviews.tests.webhook_receiver import WebhookReceiver


@pytest.fixture
def make_draft() -> DraftFactory:
    return draft_create


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def webhook(settings, receiver) -> WebhookReceiver:
    """The default outbound channel pointed at ``receiver``, with fast retries."""
    settings.OUTBOUND_WEBHOOK_URL = receiver.url
    settings.OUTBOUND_WEBHOOK_SECRET = receiver.secret
    settings.OUTBOUND_WEBHOOK_BACKOFF_SECONDS = 0.01
    settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = 5.0
    return receiver
