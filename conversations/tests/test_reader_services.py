"""Loading the reader's bundled training examples and gathering its training set from the database."""

from __future__ import annotations

import pytest

from conversations.intents import text_hash
from conversations.models import Intent, TrainingExample
from conversations.reader.services import reader_training_set, training_examples_load

pytestmark = pytest.mark.django_db

OUT_OF_SCOPE = TrainingExample.Kind.OUT_OF_SCOPE


def stored(text: str) -> TrainingExample:
    return TrainingExample.objects.get(text_hash=text_hash(text), kind=OUT_OF_SCOPE)


def test_out_of_scope_examples_are_loaded_with_the_intent_of_what_they_ask():
    # Given bundled out-of-scope messages, each with its act's intent (one names no intent we have)
    examples = [
        {
            "text": "My parcel never came and the courier won't answer",
            "language": "en",
            "intent": "complaint",
        },
        {"text": "Quisiera reservar una mesa para el sábado", "language": "es", "intent": "meeting_request"},
        {"text": "Lorem ipsum", "language": "en", "intent": "no_such_intent"},
    ]

    added = training_examples_load(examples, kind=OUT_OF_SCOPE)

    # Then each is stored with its intent, and the training set hands the intents to the reader
    assert added == 3
    assert stored(examples[0]["text"]).intent == Intent.objects.get(name="complaint")
    assert stored(examples[1]["text"]).intent == Intent.objects.get(name="meeting_request")
    assert stored(examples[2]["text"]).intent is None
    data = reader_training_set()
    acts = dict(zip(data.out_of_scope_texts, data.out_of_scope_intents or [], strict=True))
    assert acts[examples[0]["text"]] == "complaint"
    assert acts[examples[2]["text"]] is None


def test_a_bundled_example_stored_without_an_intent_gets_it_and_staff_rows_are_left_alone():
    # Given a bundled example stored before examples had intents, and one staff wrote themselves
    seed = TrainingExample.objects.create(
        text="Where is my order #4411?",
        text_hash=text_hash("Where is my order #4411?"),
        kind=OUT_OF_SCOPE,
        source=TrainingExample.Source.SEED,
    )
    staff = TrainingExample.objects.create(
        text="Is the pharmacy open on Sunday?",
        text_hash=text_hash("Is the pharmacy open on Sunday?"),
        kind=OUT_OF_SCOPE,
        source=TrainingExample.Source.STAFF,
    )

    added = training_examples_load(
        [
            {"text": seed.text, "intent": "complaint"},
            {"text": staff.text, "intent": "information_request"},
        ],
        kind=OUT_OF_SCOPE,
    )

    # Then nothing is added twice; the bundled row is labelled, the staff row keeps what staff left
    assert added == 0
    seed.refresh_from_db()
    staff.refresh_from_db()
    assert seed.intent is not None
    assert seed.intent.name == "complaint"
    assert staff.intent is None
