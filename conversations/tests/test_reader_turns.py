"""The trained reader in real turns: out-of-scope messages in several languages, the version each turn
records, retraining on a real Celery worker, and an accepted correction changing the next reading."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from conversations.agent.classifier import classify_intent
from conversations.agent.phrases import phrase
from conversations.models import AnalysisResult, Intent, ReaderModel, TrainingExample
from conversations.reader.services import next_reader_version, reader_train, training_examples_review
from conversations.tasks import train_reader_task
from knowledge.embeddings import embed_query

URL = "/api/process_message"
WORKER_TIMEOUT = 240


def _turn(client, message: str, prospect_id: str = "prospect_new_reader"):
    response = client.post(
        URL, {"current_prospect_message": message, "prospect_id": prospect_id}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _flag_reasons(data: dict) -> list[str]:
    return [
        reason
        for step in data["internal_next_steps"]
        if step["action"] == "FLAG_FOR_HUMAN_REVIEW"
        for reason in step["details"].get("reasons", [step["details"].get("reason", "")])
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("message", "language"),
    [
        (
            "Hi, my parcel was due on Monday and the tracking page still says 'label created'.",
            "en",
        ),
        ("Buenas tardes, me han bloqueado la tarjeta de débito en un cajero, ¿cómo la desbloqueo?", "es"),
        ("Bonjour, mon colis n'est toujours pas arrivé, le suivi n'a pas bougé depuis une semaine.", "fr"),
        ("Sehr geehrte Damen und Herren, anbei meine Bewerbung als Lagerist in Ihrer Filiale.", "de"),
        (
            "Buongiorno, il mio volo per Roma è stato cancellato: come ottengo il rimborso del biglietto?",
            "it",
        ),
    ],
)
def test_a_message_for_another_business_gets_a_flagged_holding_reply_in_its_language(
    api_client, message, language
):
    # When someone writes about something this company does not sell or support
    data = _turn(api_client, message)

    # Then the draft is the honest holding reply in their language (no product answer, no opener),
    # and the turn is flagged for a person with the reason out_of_scope
    assert data["classification"]["language"] == language
    assert data["suggested_response_draft"] == phrase("out_of_scope_reply", language, name_comma="")
    assert any(reason.startswith("out_of_scope") for reason in _flag_reasons(data)), data[
        "internal_next_steps"
    ]
    assert "Out of scope: P=" in data["reasoning_trace"]
    analysis = AnalysisResult.objects.get(pk=data["analysis_id"])
    assert analysis.output.knowledge_citations == []


@pytest.mark.django_db
def test_a_message_touching_two_intents_answers_both_and_records_both(api_client):
    # When a prospect asks for a total and, in the same message, how to sign up
    data = _turn(
        api_client,
        "We are ready to go: Premium, 40 seats, annual billing. What is the yearly total, and where do I "
        "sign up?",
    )

    # Then the reading names both intents, the price question first (the reader's most likely)
    assert data["classification"]["intents"] == ["pricing_inquiry", "conversion_signal"]
    assert data["classification"]["intent"] == "pricing_inquiry"
    # the draft holds the quote and the buying signal's standing answer (the sign-up link)
    assert "$47,520 per year" in data["suggested_response_draft"]
    assert "example.com/signup" in data["suggested_response_draft"]
    # the sign-up step follows the price step
    steps = [step["action"] for step in data["internal_next_steps"]]
    assert steps[:2] == ["PROVIDE_PRICING_DETAILS", "INITIATE_SIGNUP"]
    assert "Also touches: conversion_signal." in data["reasoning_trace"]
    # and the stored analysis keeps the reading
    assert AnalysisResult.objects.get(pk=data["analysis_id"]).intents == [
        "pricing_inquiry",
        "conversion_signal",
    ]


@pytest.mark.django_db
def test_a_yes_read_from_the_conversation_touches_only_what_it_answers(
    api_client, django_capture_on_commit_callbacks
):
    # Given the agent offered to set up a trial
    first = _turn(api_client, "Do you offer a free trial of the Premium features?")
    conversation_id = first["conversation_id"]
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(
            f"/api/conversations/{conversation_id}/messages",
            {"sender": "agent", "content": "Yes! Would you like me to set up the trial for your team?"},
            format="json",
        )

    # When the prospect answers with a short yes
    response = api_client.post(
        f"/api/conversations/{conversation_id}/turns",
        {"current_prospect_message": "Yes please, and thanks."},
        format="json",
    )

    # Then the yes is read from the offer alone: one intent, no other step beside the offer's
    data = response.json()
    assert response.status_code == 200, data
    assert data["classification"]["intents"] == ["trial_request"]
    assert "Also touches" not in data["reasoning_trace"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "message",
    [
        "How much is the Standard plan for 25 people if we pay yearly?",
        "¿Ofrecen una prueba gratuita para nuestro equipo de ventas?",
        "Est-ce que votre outil se connecte à HubSpot ?",
        "Wir möchten nächste Woche eine Demo vereinbaren.",
    ],
)
def test_a_question_about_the_product_is_not_out_of_scope(api_client, message):
    data = _turn(api_client, message, prospect_id="prospect_005")

    assert not any(reason.startswith("out_of_scope") for reason in _flag_reasons(data))
    assert data["suggested_response_draft"] != phrase(
        "out_of_scope_reply", data["classification"]["language"]
    )


@pytest.mark.django_db
def test_every_turn_records_the_reader_version_that_read_it(api_client):
    active = ReaderModel.objects.get(is_active=True)

    data = _turn(api_client, "Do you offer a discount for nonprofits?", prospect_id="prospect_005")

    assert data["reader_version"] == active.version
    assert AnalysisResult.objects.get(pk=data["analysis_id"]).reader_version == active.version


@pytest.mark.django_db
def test_a_version_is_never_handed_out_twice_even_when_its_training_rolled_back():
    # Given a training whose transaction rolled back after drawing its version
    with transaction.atomic():
        abandoned = next_reader_version()
        transaction.set_rollback(True)

    # Then the next training gets a later number: a process that loaded the abandoned reader under
    # its number cannot mistake it for the next one
    assert next_reader_version() > abandoned > max(ReaderModel.objects.values_list("version", flat=True))


@pytest.mark.django_db
def test_training_again_on_unchanged_data_keeps_the_active_reader():
    active = ReaderModel.objects.get(is_active=True)

    outcome = reader_train()

    assert outcome is not None
    assert outcome.trained is False
    assert outcome.reader.pk == active.pk
    assert ReaderModel.objects.filter(is_active=True).count() == 1


@pytest.mark.django_db
def test_an_accepted_correction_changes_the_next_reading_of_a_similar_message(
    django_capture_on_commit_callbacks,
):
    # Given a kind of message the reader does not read as reviewers do (they book a call for these)
    message = "Our auditors want the board pack numbers reconciled before Friday"
    similar = "Our auditors want the quarterly board pack numbers reconciled by Monday"
    wanted = "meeting_request"
    before = classify_intent(similar, embed_query(similar))
    assert before.intent != wanted, "the test needs a message the reader misreads"
    examples_before = ReaderModel.objects.get(is_active=True).example_counts["in_scope"]

    # When a reviewer's correction of it is accepted in bulk (with a few of its kind)
    corrections = [
        TrainingExample(
            text=text,
            kind=TrainingExample.Kind.INTENT,
            intent=Intent.objects.get(name=wanted),
            status=TrainingExample.Status.CANDIDATE,
            source=TrainingExample.Source.REVIEW,
        )
        for text in (
            message,
            "The auditors need the board pack reconciled, can we get on a call?",
            "Board pack reconciliation with the auditors, let's set up time",
        )
    ]
    with django_capture_on_commit_callbacks(execute=True):
        training_examples_review(corrections, status=TrainingExample.Status.ACCEPTED, saving=True)

    # Then the reader was retrained with them, and reads the similar message as they say
    after = classify_intent(similar, embed_query(similar))
    assert ReaderModel.objects.get(is_active=True).example_counts["in_scope"] == examples_before + 3
    assert after.intent == wanted


@pytest.mark.django_db(transaction=True)
def test_the_training_task_runs_on_a_real_worker_and_activates_a_new_version(celery_worker):
    # Given the active reader
    before = ReaderModel.objects.get(is_active=True).version

    # When retraining is queued (as saving an intent does) and a worker process takes it
    train_reader_task.delay(force=True)

    # Then the worker stored and activated a later version, with its cross-validated figures
    deadline = time.monotonic() + WORKER_TIMEOUT
    while time.monotonic() < deadline and not ReaderModel.objects.filter(version__gt=before).exists():
        time.sleep(0.5)
    stored = ReaderModel.objects.get(version__gt=before)
    assert stored.is_active
    assert ReaderModel.objects.filter(is_active=True).count() == 1
    assert 0.5 < stored.metrics["intent"]["accuracy"] <= 1.0
    assert stored.metrics["intent"]["ece"] <= stored.metrics["intent"]["ece_uncalibrated"]
