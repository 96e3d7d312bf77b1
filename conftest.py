"""Project-wide test fixtures: the demo data in the test database and authenticated API clients."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo knowledge base, prospects and intents once per test session."""
    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0)


@pytest.fixture
def api_user(django_user_model):
    return django_user_model.objects.create_user(username="api-user", password="not-used-here")


@pytest.fixture
def api_client(api_user) -> APIClient:
    token = Token.objects.create(user=api_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()
