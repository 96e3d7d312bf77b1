"""Every API endpoint against every kind of credential: none, a bad key, an expired or revoked key, and
a key holding exactly one scope. Refused requests change nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys.access import SYSTEM, Scope
from apikeys.services import api_key_create, api_key_revoke
from conftest import key_client
from conversations.models import Conversation, Message
from conversations.services import turn_process
from crm.models import Proposal, Prospect
from evaluation.models import EvalRun
from knowledge.models import Document
from knowledge.services import document_upsert
from reviews.models import Feedback, ReviewDecision

pytestmark = pytest.mark.django_db

READ = (Scope.CONVERSATIONS_READ, Scope.TURNS_WRITE)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {conversation}, {document}, {prospect}, {run}, {draft} are filled from the fixtures
    allowed: tuple[str, ...]  # any one of these scopes is enough
    ok: int = 200
    body: dict = field(default_factory=dict)
    # A turns:write key without conversations:read does not see a conversation another key created.
    foreign_conversation: bool = False


ENDPOINTS = [
    Endpoint("post", "/api/process_message", (Scope.TURNS_WRITE,), body={"current_prospect_message": "Hi!"}),
    Endpoint("get", "/api/conversations/", READ),
    Endpoint("get", "/api/conversations/{conversation}/", READ, foreign_conversation=True),
    Endpoint("get", "/api/conversations/{conversation}/turns", READ, foreign_conversation=True),
    Endpoint("get", "/api/conversations/{conversation}/messages", READ, foreign_conversation=True),
    Endpoint(
        "post",
        "/api/conversations/{conversation}/turns",
        (Scope.TURNS_WRITE,),
        body={"current_prospect_message": "And monthly?"},
        foreign_conversation=True,
    ),
    Endpoint(
        "post",
        "/api/conversations/{conversation}/messages",
        (Scope.TURNS_WRITE,),
        ok=201,
        body={"sender": "agent", "content": "Sent."},
        foreign_conversation=True,
    ),
    Endpoint("get", "/api/knowledge/search?q=price", (Scope.KNOWLEDGE_READ,)),
    Endpoint("get", "/api/knowledge/documents/", (Scope.KNOWLEDGE_READ,)),
    Endpoint("get", "/api/knowledge/documents/{document}/", (Scope.KNOWLEDGE_READ,)),
    Endpoint(
        "post",
        "/api/knowledge/documents/",
        (Scope.KNOWLEDGE_WRITE,),
        ok=201,
        body={"slug": "zz-new", "title": "New", "body": "# New\n\nNew text."},
    ),
    Endpoint(
        "patch", "/api/knowledge/documents/{document}/", (Scope.KNOWLEDGE_WRITE,), body={"category": "x"}
    ),
    Endpoint("delete", "/api/knowledge/documents/{document}/", (Scope.KNOWLEDGE_WRITE,), ok=204),
    Endpoint("get", "/api/crm/prospects/", (Scope.CRM_READ,)),
    Endpoint("get", "/api/crm/prospects/{prospect}/", (Scope.CRM_READ,)),
    Endpoint(
        "post",
        "/api/crm/prospects/",
        (Scope.CRM_WRITE,),
        ok=201,
        body={"external_id": "p-new", "name": "New"},
    ),
    Endpoint("patch", "/api/crm/prospects/{prospect}/", (Scope.CRM_WRITE,), body={"lead_score": 99}),
    Endpoint("delete", "/api/crm/prospects/{prospect}/", (Scope.CRM_WRITE,), ok=204),
    Endpoint("get", "/api/evaluation/runs/", (Scope.EVALUATION_READ,)),
    Endpoint("get", "/api/evaluation/runs/{run}/", (Scope.EVALUATION_READ,)),
    Endpoint("get", "/api/evaluation/review-metrics/", (Scope.EVALUATION_READ,)),
    # The draft's conversation was created by no key: a reviews key without conversations:read gets 404
    # (reviews/tests/test_api.py covers a key deciding the drafts of its own conversations).
    Endpoint("get", "/api/reviews/", (Scope.REVIEWS_READ,)),
    Endpoint("get", "/api/reviews/{draft}/", (Scope.REVIEWS_READ,), foreign_conversation=True),
    Endpoint("post", "/api/reviews/{draft}/approve", (Scope.REVIEWS_WRITE,), foreign_conversation=True),
    Endpoint(
        "post",
        "/api/reviews/{draft}/reject",
        (Scope.REVIEWS_WRITE,),
        body={"reason": "Wrong price"},
        foreign_conversation=True,
    ),
    Endpoint(
        "post",
        "/api/reviews/{draft}/feedback",
        (Scope.REVIEWS_WRITE,),
        ok=201,
        body={"reason": "outdated", "note": "Old price"},
        foreign_conversation=True,
    ),
    Endpoint("get", "/api/proposals/", (Scope.REVIEWS_READ,)),
    Endpoint("get", "/api/proposals/{proposal}/", (Scope.REVIEWS_READ,)),
    Endpoint("post", "/api/proposals/{proposal}/approve", (Scope.REVIEWS_WRITE,)),
    Endpoint("post", "/api/proposals/{proposal}/reject", (Scope.REVIEWS_WRITE,), body={"reason": "Not now."}),
]


# Placeholders for requests that never get past authentication.
NO_OBJECTS = {
    "conversation": 1,
    "document": "zz-matrix",
    "prospect": "p-matrix",
    "run": 1,
    "draft": 1,
    "proposal": 1,
}


def _objects(endpoint: Endpoint) -> dict[str, object]:
    """The objects this endpoint's path names (the conversation was created by no API key)."""
    objects = dict(NO_OBJECTS)
    if "{conversation}" in endpoint.path:
        objects["conversation"] = turn_process(access=SYSTEM, message="How much is Premium?").conversation.pk
    if "{draft}" in endpoint.path:
        objects["draft"] = turn_process(access=SYSTEM, message="How much is Premium?").output.pk
    if "{document}" in endpoint.path:
        document_upsert(slug="zz-matrix", title="Matrix", body="# Matrix\n\nA test document.")
    if "{prospect}" in endpoint.path:
        Prospect.objects.create(external_id="p-matrix", name="Matrix Prospect", lead_score=10)
    if "{proposal}" in endpoint.path:
        turn = turn_process(
            access=SYSTEM, message="Could we book a demo next week?", prospect_id="prospect_002"
        )
        objects["proposal"] = Proposal.objects.filter(analysis=turn.analysis).first().pk  # type: ignore[union-attr]
    if "{run}" in endpoint.path:
        objects["run"] = EvalRun.objects.create(
            dataset_name="x", dataset_hash="0" * 64, brain="local", started_at=timezone.now()
        ).pk
    return objects


def _state() -> tuple:
    return (
        Conversation.objects.count(),
        Message.objects.count(),
        tuple(Document.objects.order_by("slug").values_list("slug", "category")),
        tuple(Prospect.objects.order_by("external_id").values_list("external_id", "lead_score")),
        ReviewDecision.objects.count(),
        Feedback.objects.count(),
        tuple(Proposal.objects.order_by("id").values_list("id", "state")),
    )


def _call(client: APIClient, endpoint: Endpoint, objects: dict[str, object]):
    path = endpoint.path.format(**objects)
    return getattr(client, endpoint.method)(path, endpoint.body or None, format="json")


@pytest.fixture
def key_for(django_user_model):
    user = django_user_model.objects.create_user(username="matrix", password=None)

    def make(*scopes: str, expires_in: timedelta | None = None, revoked: bool = False) -> APIClient:
        expires_at = timezone.now() + expires_in if expires_in is not None else None
        api_key, secret = api_key_create(user=user, name="matrix", scopes=scopes, expires_at=expires_at)
        if revoked:
            api_key_revoke(api_key=api_key)
        return key_client(secret)

    return make


def _id(endpoint: Endpoint) -> str:
    return f"{endpoint.method.upper()} {endpoint.path}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_id)
@pytest.mark.parametrize("credential", ["none", "malformed", "unknown", "expired", "revoked"])
def test_requests_without_a_usable_key_get_401_and_change_nothing(endpoint, credential, key_for):
    every_scope = list(Scope.values)
    clients = {
        "none": lambda: APIClient(),
        "malformed": lambda: _with_header("Token"),
        "unknown": lambda: key_client("abcdefgh.not-a-real-secret-at-all-000000"),
        "expired": lambda: key_for(*every_scope, expires_in=timedelta(seconds=-1)),
        "revoked": lambda: key_for(*every_scope, revoked=True),
    }
    client = clients[credential]()
    before = _state()

    response = _call(client, endpoint, NO_OBJECTS)

    assert response.status_code == 401, response.content
    assert response.json()["detail"]
    assert _state() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_id)
@pytest.mark.parametrize("scope", list(Scope.values))
def test_a_key_with_one_scope_may_do_exactly_what_that_scope_grants(endpoint, scope, key_for):
    objects = _objects(endpoint)
    client = key_for(scope)
    before = _state()

    response = _call(client, endpoint, objects)

    if scope not in endpoint.allowed:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "scope_denied"
        assert _state() == before
    elif endpoint.foreign_conversation and scope != Scope.CONVERSATIONS_READ:
        assert response.status_code == 404, response.content
        assert _state() == before
    else:
        assert response.status_code == endpoint.ok, response.content
        if endpoint.method != "get":
            assert _state() != before


def _with_header(value: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=value)
    return client
