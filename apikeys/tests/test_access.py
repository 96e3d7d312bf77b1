"""What a key sees and may continue, keys in the admin, tokens from before scoped keys, throttling."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from apikeys.access import DEFAULT_SCOPES, Scope
from apikeys.models import ApiKey
from apikeys.services import api_key_create
from conftest import key_client
from conversations.models import Conversation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def widget_keys(django_user_model):
    """Two chat widgets' default keys (same client account) and an inbox key that reads everything."""
    user = django_user_model.objects.create_user(username="widgets", password=None)
    first = key_client(api_key_create(user=user, name="site A", scopes=DEFAULT_SCOPES)[1])
    second = key_client(api_key_create(user=user, name="site B", scopes=DEFAULT_SCOPES)[1])
    inbox = key_client(
        api_key_create(user=user, name="inbox", scopes=[Scope.CONVERSATIONS_READ, Scope.TURNS_WRITE])[1]
    )
    return first, second, inbox


def test_a_default_key_sees_and_continues_only_its_own_conversations(widget_keys):
    first, second, inbox = widget_keys
    mine = first.post("/api/process_message", {"current_prospect_message": "Hi, pricing?"}, format="json")
    conversation_id = mine.json()["conversation_id"]
    assert Conversation.objects.filter(pk=conversation_id, api_key__name="site A").exists()

    assert [row["id"] for row in first.get("/api/conversations/").json()["results"]] == [conversation_id]
    assert first.get(f"/api/conversations/{conversation_id}/").status_code == 200

    # Another key of the same account sees nothing of it and cannot add to it
    assert second.get("/api/conversations/").json()["results"] == []
    assert second.get(f"/api/conversations/{conversation_id}/").status_code == 404
    body = {"current_prospect_message": "And for 10 seats?"}
    assert second.post(f"/api/conversations/{conversation_id}/turns", body, format="json").status_code == 404
    reply = {"sender": "agent", "content": "Hello"}
    assert (
        second.post(f"/api/conversations/{conversation_id}/messages", reply, format="json").status_code == 404
    )
    continued = second.post(
        "/api/process_message", {**body, "conversation_id": conversation_id}, format="json"
    )
    assert continued.status_code == 404
    assert Message.objects.filter(conversation_id=conversation_id).count() == 1

    # A key with conversations:read sees and may continue it
    assert [row["id"] for row in inbox.get("/api/conversations/").json()["results"]] == [conversation_id]
    assert inbox.post(f"/api/conversations/{conversation_id}/turns", body, format="json").status_code == 200
    assert first.post(f"/api/conversations/{conversation_id}/turns", body, format="json").status_code == 200
    assert Message.objects.filter(conversation_id=conversation_id).count() == 3


def test_staff_keep_the_admin_and_create_keys_there_seeing_the_secret_once(admin_client, admin_user):
    response = admin_client.post(
        "/admin/apikeys/apikey/add/",
        {"name": "inbox", "user": admin_user.pk, "scopes": ["crm:read", "turns:write"]},
        follow=True,
    )

    key = ApiKey.objects.get(name="inbox")
    page = response.content.decode()
    secret = next(word for word in page.split() if word.startswith(key.prefix + "."))
    assert sorted(key.scopes) == ["crm:read", "turns:write"]
    assert secret not in key.hashed_key
    assert key_client(secret).get("/api/crm/prospects/").status_code == 200
    detail = admin_client.get(f"/admin/apikeys/apikey/{key.pk}/change/").content.decode()
    assert secret not in detail, "the secret is shown once, never again"


def test_keys_are_revoked_from_the_admin(admin_client, admin_user):
    api_key, secret = api_key_create(user=admin_user, name="old", scopes=[Scope.CRM_READ])

    admin_client.post(
        "/admin/apikeys/apikey/", {"action": "revoke_keys", "_selected_action": [api_key.pk]}, follow=True
    )

    api_key.refresh_from_db()
    assert api_key.revoked
    response = key_client(secret).get("/api/crm/prospects/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_tokens_from_before_scoped_keys_keep_working_and_are_no_longer_stored_in_plain_text(
    django_user_model,
):
    # Given a plain-text token of rest_framework.authtoken, as the database had before this change
    user = django_user_model.objects.create_user(username="legacy", password=None)
    token = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE authtoken_token (key varchar(40), user_id bigint, created timestamptz)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, now())", [token, user.pk])

    # When the migration runs
    migration = importlib.import_module("apikeys.migrations.0002_hash_legacy_tokens")
    with connection.schema_editor() as editor:
        migration.hash_legacy_tokens(apps, editor)

    # Then the same header works, with the default scopes, and the plain text is gone
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    key = ApiKey.objects.get(user=user)
    assert token not in key.hashed_key
    assert sorted(key.scopes) == sorted(DEFAULT_SCOPES)
    assert key_client(token).get("/api/crm/prospects/").status_code == 200
    assert key_client(token).get("/api/evaluation/runs/").status_code == 403


def test_requests_are_throttled_per_key_and_scope(api_client, django_user_model, settings):
    # Given a read rate of 3 a minute
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"read": "3/min", "write": "100/min", "turns": "100/min"},
    }
    other_user = django_user_model.objects.create_user(username="other", password=None)
    other = key_client(api_key_create(user=other_user, name="other", scopes=[Scope.CRM_READ])[1])

    statuses = [api_client.get("/api/crm/prospects/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    limited = api_client.get("/api/crm/prospects/")
    assert int(limited["Retry-After"]) >= 1
    assert other.get("/api/crm/prospects/").status_code == 200, "another key has its own bucket"
    body = {"current_prospect_message": "Hi"}
    assert api_client.post("/api/process_message", body, format="json").status_code == 200, (
        "turns have their own bucket"
    )
