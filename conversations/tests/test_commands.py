"""The ``create_api_token`` and ``load_demo`` management commands."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from conversations.models import Intent
from crm.models import Prospect
from knowledge.models import Chunk, Document

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_api_token_creates_the_user_and_prints_only_the_token():
    output = run("create_api_token", "widget")
    user = get_user_model().objects.get(username="widget")
    assert output.strip() == Token.objects.get(user=user).key
    assert not user.has_usable_password()
    assert not user.is_staff


def test_create_api_token_is_stable_and_can_grant_staff():
    first = run("create_api_token", "ops").strip()
    second = run("create_api_token", "ops", "--staff").strip()
    assert first == second
    assert get_user_model().objects.get(username="ops").is_staff


def test_token_from_the_command_authenticates_api_calls(client):
    token = run("create_api_token", "curl-user").strip()
    response = client.get("/api/conversations/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert "results" in response.json()


def test_load_demo_is_idempotent_and_does_not_reembed_unchanged_documents():
    # The session fixture has already loaded the demo once.
    chunk_ids = set(Chunk.objects.values_list("id", flat=True))
    counts = (Document.objects.count(), Prospect.objects.count(), Intent.objects.count())
    output = run("load_demo")
    assert "documents: 0 created" in output
    assert (Document.objects.count(), Prospect.objects.count(), Intent.objects.count()) == counts
    assert set(Chunk.objects.values_list("id", flat=True)) == chunk_ids
    assert counts[0] >= 12
    assert counts[1] == 10
    assert counts[2] == 17
    assert all(len(examples) >= 8 for examples in Intent.objects.values_list("examples", flat=True))
    assert not Document.objects.exclude(index_status=Document.IndexStatus.INDEXED).exists()
