"""``create_api_token``: prints only the key, stores only its hash, with the scopes asked for."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from apikeys.access import ALL_SCOPES, DEFAULT_SCOPES
from apikeys.models import ApiKey

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_api_token_prints_only_the_key_and_stores_its_hash():
    output = run("create_api_token", "widget")

    secret = output.strip()
    user = get_user_model().objects.get(username="widget")
    key = ApiKey.objects.get(user=user)
    assert output == secret + "\n"
    assert secret.startswith(key.prefix + ".")
    assert secret not in key.hashed_key
    assert secret not in key.pk
    assert key.hashed_key.startswith("sha512$$")
    assert sorted(key.scopes) == sorted(DEFAULT_SCOPES)
    assert not user.has_usable_password()
    assert not user.is_staff


def test_staff_keys_have_every_scope_and_each_call_makes_a_new_key():
    first = run("create_api_token", "ops").strip()
    second = run("create_api_token", "ops", "--staff").strip()

    assert first != second
    user = get_user_model().objects.get(username="ops")
    assert user.is_staff
    assert set(ApiKey.objects.get(prefix=second.split(".")[0]).scopes) == ALL_SCOPES
    assert ApiKey.objects.filter(user=user, revoked=False).count() == 2


def test_scopes_and_expiry_can_be_chosen():
    secret = run(
        "create_api_token", "reporting", "--scopes", "evaluation:read,crm:read", "--expires-in-days", "30"
    ).strip()

    key = ApiKey.objects.get(prefix=secret.split(".")[0])
    assert key.scopes == ["evaluation:read", "crm:read"]
    assert key.expiry_date is not None


def test_an_unknown_scope_is_refused_and_creates_no_key():
    with pytest.raises(CommandError, match="unknown scope"):
        run("create_api_token", "typo", "--scopes", "crm:wirte")
    assert not ApiKey.objects.exists()


def test_the_printed_key_authenticates_api_calls_with_the_token_header(client):
    secret = run("create_api_token", "curl-user").strip()

    response = client.get("/api/conversations/", HTTP_AUTHORIZATION=f"Token {secret}")

    assert response.status_code == 200
    assert response.json()["results"] == [], "a default key sees only the conversations it created"
