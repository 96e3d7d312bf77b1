"""System checks: the intents and actions the code refers to must exist."""

from __future__ import annotations

import pytest

from conversations.checks import check_demo_intents, check_intent_table
from conversations.models import Intent

pytestmark = pytest.mark.django_db


def test_the_demo_intents_and_the_table_pass():
    assert check_demo_intents() == []
    assert check_intent_table() == []


def test_renaming_an_intent_the_code_refers_to_fails_the_check():
    Intent.objects.filter(name="complaint").update(name="grievance")

    errors = check_intent_table()

    assert [error.id for error in errors] == ["conversations.E001"]
    assert "'complaint'" in errors[0].msg


def test_an_unknown_primary_action_fails_the_check():
    Intent.objects.filter(name="greeting").update(primary_action="SEND_FLOWERS")

    errors = check_intent_table()

    assert [error.id for error in errors] == ["conversations.E002"]
    assert "SEND_FLOWERS" in errors[0].msg
