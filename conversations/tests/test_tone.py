"""Reading tone: anger, demands, threats to leave and failures of ours."""

from __future__ import annotations

import pytest

from conversations.agent.tone import read_tone


@pytest.mark.parametrize(
    "message",
    [
        "Get me a manager or we cancel.",
        "Our exports haven't worked since Friday and nobody has answered my ticket. Unacceptable.",
        "Honestly I'm thinking about switching to another vendor, this has been frustrating.",
        "The sync stopped working again??",
    ],
)
def test_complaints_are_recognised(message):
    tone = read_tone(message)
    assert tone.is_complaint
    assert tone.negative
    assert tone.markers


@pytest.mark.parametrize(
    "message",
    [
        "Can I cancel anytime?",  # a policy question, not a threat
        "What happens to our data if we cancel?",
        "We love the dashboards, how do we get started?",
        "Können wir jederzeit kündigen?",
    ],
)
def test_questions_about_cancelling_are_not_complaints(message):
    assert not read_tone(message).is_complaint


def test_other_languages_use_markers_not_the_english_lexicon():
    # VADER reads "no" in Spanish as negative; the tone must not
    calm = read_tone("No, no tenemos tarjeta. ¿Se puede pagar por transferencia?", language="es")
    angry = read_tone("Esto es inaceptable, nadie ha respondido a mi correo.", language="es")

    assert not calm.negative
    assert angry.negative
    assert angry.service_failure
