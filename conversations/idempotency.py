"""Idempotent turn requests: a client retrying with the same ``Idempotency-Key`` gets the stored answer.

The key is scoped to the API user. The first request records a :class:`TurnRequest` with a
fingerprint of its body; a retry with the same body replays the stored response and creates no new
rows, a retry with a different body is refused, and a retry after a crash (the message was stored but
never answered) answers the stored message instead of storing it again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.agent.model_client import turn_budget_seconds
from conversations.models import Message, TurnRequest
from conversations.services import StoredTurn, turn_answer

MAX_KEY_LENGTH = 255
IN_PROGRESS_MARGIN_SECONDS = 30


class IdempotencyKeyReused(ValueError):
    """The key was already used for a request with a different body."""


class TurnInProgress(RuntimeError):
    """Another request with this key is still being answered."""


def request_fingerprint(path: str, body: Any) -> str:
    """A stable hash of what was asked: the endpoint and the JSON body, key order ignored."""
    canonical = json.dumps({"path": path, "body": body}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _in_progress_window() -> timedelta:
    # Longer than the worst case of one turn (the model's whole time budget, then the local brain), so
    # a live request is never answered twice; an older unanswered request is taken to have crashed.
    return timedelta(seconds=turn_budget_seconds() + IN_PROGRESS_MARGIN_SECONDS)


def turn_process_idempotent(
    *,
    user_id: int,
    key: str,
    fingerprint: str,
    receive: Callable[[], Message],
    render: Callable[[StoredTurn], dict[str, Any]],
    brain: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Answer a turn once per (user, key); returns (response body, replayed).

    ``receive`` stores the inbound message (called at most once per key); ``render`` shapes the
    stored turn into the response that is kept for replays.
    """
    try:
        with transaction.atomic():
            turn_request = TurnRequest.objects.create(user_id=user_id, key=key, request_hash=fingerprint)
        fresh = True
    except IntegrityError:
        turn_request = TurnRequest.objects.get(user_id=user_id, key=key)
        fresh = False

    if not fresh:
        if turn_request.request_hash != fingerprint:
            raise IdempotencyKeyReused(key)
        if turn_request.response is not None:
            return turn_request.response, True
        if timezone.now() - turn_request.created_at < _in_progress_window():
            raise TurnInProgress(key)

    with transaction.atomic():
        locked = TurnRequest.objects.select_for_update().get(pk=turn_request.pk)
        if locked.message_id is None:
            message = receive()
            locked.message = message
            locked.conversation_id = message.conversation_id
            locked.save(update_fields=["message", "conversation"])
        message = Message.objects.select_related("conversation").get(pk=locked.message_id)

    rendered: dict[str, Any] = {}

    def keep_response(stored: StoredTurn) -> None:
        rendered.update(render(stored))
        TurnRequest.objects.filter(pk=turn_request.pk).update(response=rendered)

    turn_answer(message=message, brain=brain, on_stored=keep_response)
    return rendered, False
