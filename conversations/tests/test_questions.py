"""Splitting a message into the questions it asks."""

from __future__ import annotations

import pytest

from conversations.agent.questions import main_question, split_questions


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Three things: SSO? bank transfer? onboarding time?",
            ["SSO?", "bank transfer?", "onboarding time?"],
        ),
        (
            "Hi,\n1) Does Basic include the API?\n2) Is there a setup fee?\nThanks, Ana",
            ["Does Basic include the API?", "Is there a setup fee?"],
        ),
        (
            "Can we pay by card, and can you invoice us in EUR?",
            ["Can we pay by card?", "can you invoice us in EUR?"],
        ),
        (
            "We store everything in Snowflake. Can Orbit read from it? also is there an audit log",
            ["We store everything in Snowflake. Can Orbit read from it?", "also is there an audit log?"],
        ),
        (
            "¿Tienen soporte en español? ¿Y el sistema también?",
            ["¿Tienen soporte en español?", "¿Y el sistema también?"],
        ),
    ],
)
def test_several_questions_are_split_each_readable_on_its_own(message, expected):
    assert split_questions(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "Can I pay in installments?",
        "Does Orbit work with HubSpot and Slack?",  # one question about two tools
        "Does Standard include SSO, or is that Premium only?",  # alternatives of one question
        "Get me a manager or we cancel.",
        "yes please",
    ],
)
def test_a_single_question_or_statement_is_kept_whole(message):
    assert split_questions(message) == [message]


def test_the_main_question_of_a_long_message_is_its_first_question():
    message = "Hi there, thanks for the call last week. We talked it over. Please remove me from your list."

    assert main_question(message) == "Please remove me from your list."
    assert main_question("Can I pay in installments?") == ""
