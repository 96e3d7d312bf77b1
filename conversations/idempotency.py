"""Turn requests answered once: retries replay the stored answer, failures leave nothing orphaned.

Every turn request through the API has a :class:`TurnRequest` row while it is being answered,
scoped to the caller (user and API key):

- with an ``Idempotency-Key`` header the row is kept; a retry with the same body replays the stored
  turn (rendered from the stored rows), with a different body it is refused;
- without the header the row is implicit, keyed by a hash of the request, and deleted in the
  transaction that stores the answer. If answering failed (say, the database went away mid-turn),
  an identical retry finds the stored message and answers it instead of storing it again.

Who is answering a row is a Postgres session advisory lock on it, not a timestamp: a second request
for the same row gets :class:`TurnInProgress` (409 with ``Retry-After``) only while the first is
really running; if that process died, its connection and lock died with it and the retry proceeds at
once. A failure before the message was stored deletes the row, freeing the key. The periodic sweep
(:func:`turn_requests_sweep`) answers messages whose client never retried and expires old keys.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apikeys.access import Access
from conversations.models import AnalysisResult, Message, TurnRequest
from conversations.services import StoredTurn, turn_answer
from salesagent.errors import DomainError
from salesagent.faults import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
# pg_try_advisory_lock(int, int): this namespace, then the row id.
LOCK_NAMESPACE = 0x7475726E  # "turn"
IN_PROGRESS_RETRY_AFTER_SECONDS = 2


class IdempotencyKeyReused(DomainError, ValueError):
    """The key was already used for a request with a different body."""

    status_code = 422
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request body."


class TurnInProgress(DomainError, RuntimeError):
    """Another request for this turn is still being answered."""

    status_code = 409
    code = "turn_in_progress"
    message = "A request with this Idempotency-Key is still being answered; retry shortly."

    def __init__(self, key: str, retry_after: int = IN_PROGRESS_RETRY_AFTER_SECONDS) -> None:
        super().__init__(key)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def request_fingerprint(path: str, body: Any) -> str:
    """A stable hash of what was asked: the endpoint and the JSON body, key order ignored."""
    canonical = json.dumps({"path": path, "body": body}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


@contextmanager
def _answering(turn_request_id: int) -> Iterator[bool]:
    """Hold the advisory lock of a turn request while answering it; yields whether it was free."""
    object_id = turn_request_id % 2_147_483_647
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, object_id])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, object_id])
            except DATABASE_UNAVAILABLE:
                pass  # the connection is gone, and its session lock with it


def _owner(access: Access, user_id: int) -> dict[str, Any]:
    return {"user_id": user_id, "api_key_id": access.api_key_id}


def _turn_request(access: Access, user_id: int, key: str, implicit: bool, fingerprint: str) -> TurnRequest:
    lookup = {**_owner(access, user_id), "key": key, "implicit": implicit}
    # Outside a transaction the INSERT commits on its own and a duplicate fails alone, so it needs no
    # BEGIN and COMMIT round trips; inside one, a savepoint keeps that transaction usable.
    guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with guard:
            return TurnRequest.objects.create(**lookup, request_hash=fingerprint)
    except IntegrityError:
        return TurnRequest.objects.get(**lookup)


def _claim(turn_request_id: int) -> TurnRequest | None:
    """Count an attempt at an unanswered row and return the row as counted; None when it is gone or
    answered. One statement where a read and an update were; callers hold the row's lock."""
    claimed = TurnRequest.objects.raw(
        f"UPDATE {TurnRequest._meta.db_table} SET attempts = attempts + 1, updated_at = %s "
        "WHERE id = %s AND analysis_id IS NULL RETURNING *",
        [timezone.now(), turn_request_id],
    )
    rows = list(claimed)
    return rows[0] if rows else None


def _record_failure(turn_request_id: int, exc: BaseException) -> None:
    """Free the key when nothing was stored; else note the failure so the retry answers the message."""
    try:
        row = TurnRequest.objects.filter(pk=turn_request_id)
        if row.filter(message__isnull=True).delete()[0]:
            return
        row.update(last_error=f"{type(exc).__name__}: {exc}"[:500], updated_at=timezone.now())
    except DATABASE_UNAVAILABLE:
        # Nothing can be written now; the lock is released with the connection, so a retry after
        # the outage proceeds, and an unanswered message is answered by that retry or the sweep.
        logger.warning("could not record the failure of turn request %s", turn_request_id)


def _answer(turn_request: TurnRequest, receive: Callable[[], Message], brain: str | None) -> StoredTurn:
    just_received = turn_request.message_id is None
    if turn_request.message_id is None:
        message = receive()
        TurnRequest.objects.filter(pk=turn_request.pk).update(
            message=message, conversation_id=message.conversation_id, updated_at=timezone.now()
        )
    else:
        message = Message.objects.select_related("conversation").get(pk=turn_request.message_id)

    def link_answer(stored: StoredTurn) -> None:
        rows = TurnRequest.objects.filter(pk=turn_request.pk)
        if turn_request.implicit:
            rows.delete()
        else:
            rows.update(analysis=stored.analysis, updated_at=timezone.now())

    return turn_answer(message=message, brain=brain, on_stored=link_answer, just_received=just_received)


def turn_process_idempotent(
    *,
    access: Access,
    user_id: int,
    key: str | None,
    fingerprint: str,
    receive: Callable[[], Message],
    brain: str | None = None,
) -> tuple[AnalysisResult, bool]:
    """Answer a turn once per (caller, key); returns (the stored analysis, replayed).

    ``key`` is the client's Idempotency-Key, or None (an implicit key from ``fingerprint``).
    ``receive`` stores the inbound message; it is called at most once per row.
    """
    implicit = key is None
    stored_key = f"request:{fingerprint}" if key is None else key
    for _ in range(3):  # an implicit row may be deleted (answered) between our read and our lock
        turn_request = _turn_request(access, user_id, stored_key, implicit, fingerprint)
        if turn_request.request_hash != fingerprint:
            raise IdempotencyKeyReused(stored_key)
        if turn_request.analysis_id is not None:
            return AnalysisResult.objects.select_related("output").get(pk=turn_request.analysis_id), True
        with _answering(turn_request.pk) as acquired:
            if not acquired:
                raise TurnInProgress(stored_key)
            current = _claim(turn_request.pk)
            if current is None:
                rows = TurnRequest.objects.filter(pk=turn_request.pk)
                analysis_id = rows.values_list("analysis_id", flat=True).first()
                if analysis_id is None:  # deleted: an implicit row whose turn was answered
                    continue
                return AnalysisResult.objects.select_related("output").get(pk=analysis_id), True
            try:
                stored = _answer(current, receive, brain)
            except Exception as exc:
                _record_failure(current.pk, exc)
                raise
            return stored.analysis, False
    raise TurnInProgress(stored_key)


@dataclass
class SweepReport:
    answered: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    freed: int = 0
    expired: int = 0


def turn_requests_sweep(*, brain: str | None = None) -> SweepReport:
    """Answer stored messages whose request failed and was not retried; free and expire old rows.

    Runs periodically (Celery beat, ``CELERY_BEAT_SCHEDULE``). A row someone is answering (its lock is
    held) is skipped.
    """
    report = SweepReport()
    now = timezone.now()
    stale = now - timedelta(seconds=settings.ORPHAN_SWEEP_AFTER_SECONDS)
    report.freed = TurnRequest.objects.filter(
        message__isnull=True, analysis__isnull=True, updated_at__lt=stale
    ).delete()[0]
    report.expired = TurnRequest.objects.filter(
        analysis__isnull=False, created_at__lt=now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    ).delete()[0]
    orphans = TurnRequest.objects.filter(
        message__isnull=False, analysis__isnull=True, updated_at__lt=stale
    ).order_by("id")
    for turn_request in orphans:
        with _answering(turn_request.pk) as acquired:
            if not acquired:
                continue
            current = TurnRequest.objects.filter(pk=turn_request.pk, analysis__isnull=True).first()
            if current is None:
                continue
            try:
                stored = _answer(current, _no_receive, brain)
            except DATABASE_UNAVAILABLE:
                raise
            except Exception as exc:
                logger.exception("sweep could not answer turn request %s", current.pk)
                _record_failure(current.pk, exc)
                report.failed.append(current.pk)
                continue
            report.answered.append(stored.message.pk)
    return report


def _no_receive() -> Message:
    raise AssertionError("the sweep only answers messages that were stored")
