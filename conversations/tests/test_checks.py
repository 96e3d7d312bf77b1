"""System checks: the intents and actions the code refers to must exist."""

from __future__ import annotations

import pytest

from conversations.checks import check_company_setup, check_demo_intents, check_intent_table
from conversations.models import Intent
from knowledge.models import Document
from pricing.models import PriceBook

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


def test_a_database_set_up_for_a_company_has_nothing_to_warn_about():
    assert check_company_setup() == []


def test_missing_intents_price_book_and_knowledge_are_each_warned_about():
    # Given a database where none of what a turn needs has been set up
    Intent.objects.all().delete()
    PriceBook.objects.update(is_active=False)
    Document.objects.update(is_active=False)

    warnings = check_company_setup()

    # Then each missing part is named with the step that adds it
    assert [warning.id for warning in warnings] == [
        "conversations.W001",
        "conversations.W002",
        "conversations.W003",
    ]
    assert "load_taxonomy" in str(warnings[0].hint)
    assert "ingest_knowledge" in str(warnings[2].hint)
