"""Intent classification: the trained reader over the demo intents' examples, read in context, and the
nearest-neighbour fallback before any reader is trained."""

from __future__ import annotations

import numpy as np
import pytest

from company.selectors import current_vocabulary
from conversations.agent.classifier import (
    DEFAULT_CALIBRATION,
    classify_intent,
    fit_calibration,
    follow_up_anchor,
    intent_calibration,
    is_elliptical_follow_up,
    is_short_affirmative,
    leave_one_out_margins,
    offered_intent,
)
from conversations.intents import intent_save
from conversations.models import Intent, ReaderModel
from knowledge.embeddings import embed_query

pytestmark = pytest.mark.django_db


def classify(message: str, last_agent_message: str = "", earlier: list[str] | None = None):
    return classify_intent(
        message,
        embed_query(message),
        last_agent_message=last_agent_message,
        earlier_prospect_messages=earlier or [],
        vocabulary=current_vocabulary(),
    )


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("What would twelve seats on the Premium tier set us back each month?", "pricing_inquiry"),
        ("Do you accept American Express, or only wire transfers?", "payment_question"),
        ("Can your dashboards pull data straight out of Snowflake?", "integration_question"),
        ("Is the interface available in German for our Munich office?", "localization_question"),
        ("Please take me off your mailing list.", "not_interested"),
        ("Are you ISO 27001 certified, and where is the data hosted?", "security_question"),
    ],
)
def test_messages_get_the_intent_the_reader_finds_most_probable(message, intent):
    prediction = classify(message)
    assert prediction.intent == intent
    assert prediction.method == "reader"
    assert prediction.scores[intent] == max(prediction.scores.values())
    # The reader's scores are calibrated probabilities over the active intents; confidence is the top one.
    assert sum(prediction.scores.values()) == pytest.approx(1.0)
    assert prediction.confidence == pytest.approx(prediction.scores[intent], abs=1e-4)


def test_before_any_reader_is_trained_messages_get_the_intent_of_their_nearest_examples():
    # Given a database with intents but no trained reader (a fresh install)
    ReaderModel.objects.update(is_active=False)

    prediction = classify("Do you accept American Express, or only wire transfers?")

    assert (prediction.intent, prediction.method) == ("payment_question", "knn")
    assert 0.0 <= prediction.confidence <= 1.0


def test_confidence_is_higher_for_a_clear_message_than_for_a_vague_one():
    clear = classify("How much does the Standard plan cost per seat?")
    vague = classify("hmm ok and the other thing")
    assert clear.confidence > vague.confidence


def test_a_short_yes_takes_its_intent_from_what_the_agent_offered():
    prediction = classify("Yes, let's do it!", last_agent_message="Shall I send you the sign-up link?")
    assert (prediction.intent, prediction.method) == ("conversion_signal", "context")
    meeting = classify(
        "Sure, sounds good", last_agent_message="Would you like to book a demo call on Tuesday?"
    )
    assert meeting.intent == "meeting_request"


def test_offer_and_affirmative_detection():
    assert offered_intent("Would you like to start a free trial?") == "trial_request"
    assert offered_intent("Here is the link.") is None
    assert is_short_affirmative("ok, go ahead")
    assert not is_short_affirmative("Okay but how does the Salesforce sync handle custom objects in detail?")


def test_a_new_intent_is_read_once_saving_it_has_retrained_the_reader(django_capture_on_commit_callbacks):
    # Given a new intent saved as staff save it (the reader retrains when the save commits)
    before = ReaderModel.objects.get(is_active=True).version
    with django_capture_on_commit_callbacks(execute=True):
        intent_save(
            intent=Intent(
                name="partnership_inquiry",
                primary_action="ROUTE_TO_PARTNERSHIPS",
                examples=[
                    "We'd like to become a reseller of your platform.",
                    "Do you have a partner program for agencies?",
                    "Can we white-label your product for our consulting clients?",
                    "We are an agency and want to resell your tool to our clients.",
                    "Is there a referral or affiliate programme for partners?",
                    "Could we partner with you as an implementation consultancy?",
                ],
            )
        )

    # Then a new reader version is active, and it reads a similar message as the new intent
    assert ReaderModel.objects.get(is_active=True).version > before
    assert classify("Is there a reseller or partner program we could join?").intent == "partnership_inquiry"


def test_calibration_is_fitted_by_leave_one_out_and_is_monotone():
    calibration = intent_calibration()

    # Fitted on the demo intents' own examples: a larger margin always means more confidence.
    assert calibration.slope > 0
    assert calibration.probability(0.0) < 0.6 < calibration.probability(0.2) < calibration.probability(0.4)


def test_leave_one_out_calibration_matches_how_often_examples_are_right():
    # Given four tight clusters, with a fifth that sits between two of them
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(4, 16))
    rows, labels = [], []
    for label, centre in enumerate(centres):
        for _ in range(20):
            rows.append(centre + rng.normal(scale=0.6, size=16))
            labels.append(label)
    matrix = np.asarray(rows, dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    labels_array = np.asarray(labels, dtype=np.int32)

    # When every example is classified by all the others
    margins, correct = leave_one_out_margins(matrix, labels_array, np.ones(len(labels), bool), 4)
    calibration = fit_calibration(margins, correct)

    # Then the fitted probabilities average out to the leave-one-out accuracy
    predicted = [calibration.probability(m) for m in margins]
    assert sum(predicted) / len(predicted) == pytest.approx(correct.mean(), abs=0.05)


def test_calibration_falls_back_to_the_default_without_mistakes_to_learn_from():
    assert fit_calibration(np.linspace(0, 0.5, 50), np.ones(50, bool)) == DEFAULT_CALIBRATION


@pytest.mark.parametrize(
    ("message", "elliptical"),
    [
        ("What about Portuguese?", True),
        ("and for 300 seats?", True),
        ("Also Snowflake?", True),
        ("The Enterprise tier?", True),
        ("Do you support Portuguese?", False),
        ("How much is the Standard plan per seat for a team of forty people?", False),
        ("Yes, let's do it.", False),  # a yes is read against the agent's offer instead
    ],
)
def test_elliptical_follow_up_detection(message, elliptical):
    assert is_elliptical_follow_up(message) is elliptical


def test_a_follow_up_that_only_swaps_the_plan_keeps_the_earlier_intent():
    # Given a prospect who asked whether a plan is localised
    earlier = ["Is the Premium plan interface available in Spanish?"]

    # When they follow up with just another plan name
    prediction = classify("And Basic?", earlier=earlier)

    # Then the topic is still localisation, read from the earlier message
    assert (prediction.intent, prediction.method) == ("localization_question", "follow_up")
    assert prediction.anchor == earlier[0]
    assert classify("And Basic?").intent != "localization_question"


def test_a_follow_up_about_head_count_after_a_pricing_question_stays_pricing():
    prediction = classify("And for the whole team?", earlier=["How much is the Premium plan per seat?"])

    assert prediction.intent == "pricing_inquiry"
    assert prediction.anchor


def test_a_follow_up_confidently_about_something_else_keeps_its_own_intent():
    prediction = classify("What about a free trial?", earlier=["How much is the Premium plan per seat?"])

    assert (prediction.intent, prediction.method) == ("trial_request", "reader")
    assert prediction.anchor == ""


def test_a_chain_of_follow_ups_leads_back_to_the_first_full_question():
    earlier = ["Does the dashboard come in Spanish?", "French too?"]

    assert follow_up_anchor(earlier) == earlier[0]
    assert classify("And German?", earlier=earlier).intent == "localization_question"
