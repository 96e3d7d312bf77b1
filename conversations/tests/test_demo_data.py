"""Demo intents: English examples from intents.json, merged with the examples in other languages."""

from __future__ import annotations

import json

import pytest

from conversations.demo_data import DEMO_FILE, EXAMPLES_DIR, load_demo_intents
from conversations.models import Intent

pytestmark = pytest.mark.django_db

ENGLISH = {row["name"]: row["examples"] for row in json.loads(DEMO_FILE.read_text(encoding="utf-8"))}
TRANSLATED = {
    path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(EXAMPLES_DIR.glob("*.json"))
}


def test_every_language_has_examples_for_every_intent():
    assert sorted(TRANSLATED) == ["de", "es", "fr", "pt"]
    for language, by_intent in TRANSLATED.items():
        assert set(by_intent) == set(ENGLISH), language
        for name, examples in by_intent.items():
            assert len(set(examples)) >= 8, (language, name)
            assert all(isinstance(text, str) and text.strip() for text in examples), (language, name)


def test_loaded_intents_hold_their_english_examples_then_those_in_other_languages():
    # Given the demo loaded by the session fixture
    for intent in Intent.objects.all():
        # Then the English examples come first, followed by every translated one
        english = ENGLISH[intent.name]
        assert intent.examples[: len(english)] == english
        for language, by_intent in TRANSLATED.items():
            assert set(by_intent[intent.name]) <= set(intent.examples), (intent.name, language)
        assert len(intent.examples) == len(set(intent.examples))


def test_an_intent_stored_before_the_translations_is_kept_until_a_reset():
    # Given an intent stored with its English examples only (loaded before the translations existed)
    Intent.objects.filter(name="trial_request").update(examples=ENGLISH["trial_request"])

    # When the demo is loaded, the stored row is left alone and reported as differing
    report = load_demo_intents()
    assert "trial_request" in report.edited
    assert Intent.objects.get(name="trial_request").examples == ENGLISH["trial_request"]

    # And a reset brings in the examples in every language
    load_demo_intents(reset=True)
    examples = Intent.objects.get(name="trial_request").examples
    assert set(TRANSLATED["pt"]["trial_request"]) <= set(examples)
