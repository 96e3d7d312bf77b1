"""Language detection: a message's own language when it says enough, the conversation's otherwise."""

from __future__ import annotations

import pytest

from knowledge.languages import detect_language, text_search_config


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("Hola, ¿cuánto cuesta el plan Premium para veinte usuarios?", "es"),
        ("oi, da pra testar antes de assinar? precisa colocar cartão?", "pt"),
        ("Bonjour, quelles certifications de sécurité avez-vous ?", "fr"),
        ("Guten Tag, gibt es die Oberfläche auch auf Deutsch?", "de"),
        ("Quanto costa il piano Premium per il nostro team?", "it"),
        ("How much is the Standard plan for twenty people?", "en"),
    ],
)
def test_a_message_that_says_enough_is_detected_on_its_own(message, code):
    detected = detect_language(message)

    assert detected.code == code
    assert detected.method == "detected"


@pytest.mark.parametrize("message", ["ok", "Perfecto", "SSO?", "thx!"])
def test_a_short_reply_takes_the_language_of_the_conversation(message):
    earlier = ["Hola, ¿el plan Standard incluye la integración con HubSpot?"]

    assert detect_language(message, context=earlier).code == "es"
    assert detect_language(message, context=earlier).method == "context"
    # Without a conversation, too little evidence: English, said as a default
    assert detect_language(message).method == "default"
    assert detect_language(message).code == "en"


def test_each_language_searches_with_its_own_text_configuration():
    assert text_search_config("es") == "spanish"
    assert text_search_config("de") == "german"
    assert text_search_config("xx") == "simple"
