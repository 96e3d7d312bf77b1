"""Stored intent example embeddings: an edit re-embeds only that intent, and the classifier reads them."""

from __future__ import annotations

import pytest

from conversations.agent.classifier import classify_intent
from conversations.intents import intent_examples_sync, intent_save
from conversations.models import Intent, IntentExample
from knowledge import embeddings
from knowledge.embeddings import embed_query

pytestmark = pytest.mark.django_db


@pytest.fixture
def embedded_texts(monkeypatch) -> list[str]:
    """Every text the embedding model is asked to embed in bulk during the test."""
    seen: list[str] = []
    real = embeddings.embed_texts

    def recording(texts: list[str]) -> list[list[float]]:
        seen.extend(texts)
        return real(texts)

    monkeypatch.setattr("conversations.intents.embed_texts", recording)
    return seen


def test_every_active_intent_has_its_examples_stored():
    for intent in Intent.objects.filter(is_active=True):
        stored = set(intent.example_rows.filter(is_description=False).values_list("text", flat=True))
        assert stored == {example.strip() for example in intent.examples}


def test_editing_an_intent_re_embeds_only_its_new_examples(embedded_texts):
    # Given an intent and the stored rows of every other intent
    intent = Intent.objects.get(name="trial_request")
    others = set(IntentExample.objects.exclude(intent=intent).values_list("id", flat=True))
    kept = intent.examples[1:]

    # When staff drop one example and add one
    intent.examples = [*kept, "Can my whole team kick the tyres for a fortnight?"]
    intent_save(intent=intent)

    # Then only the new example was embedded, the dropped one's row is gone, and no other row changed
    assert embedded_texts == ["Can my whole team kick the tyres for a fortnight?"]
    stored = set(intent.example_rows.filter(is_description=False).values_list("text", flat=True))
    assert stored == {*kept, "Can my whole team kick the tyres for a fortnight?"}
    assert set(IntentExample.objects.exclude(intent=intent).values_list("id", flat=True)) == others


def test_saving_an_unchanged_intent_embeds_nothing(embedded_texts):
    intent = Intent.objects.get(name="greeting")

    assert intent_examples_sync(intent=intent) == 0
    assert embedded_texts == []


def test_the_classifier_sees_an_edit_once_it_commits(django_capture_on_commit_callbacks):
    # Given a message the greeting intent would not win
    message = "Can my whole team kick the tyres for a fortnight?"
    assert classify_intent(message, embed_query(message)).intent != "greeting"

    # When staff add it (and a paraphrase) as greeting examples; the save retrains the reader on commit
    intent = Intent.objects.get(name="greeting")
    intent.examples = [*intent.examples, message, "Could the whole team kick the tyres for a fortnight?"]
    with django_capture_on_commit_callbacks(execute=True):
        intent_save(intent=intent)

    # Then the next classification uses the new examples
    assert classify_intent(message, embed_query(message)).intent == "greeting"
