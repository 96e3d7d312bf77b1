import pytest

from conversations.agent.sentiment import classify_sentiment


@pytest.mark.parametrize(
    ("message", "intent", "expected"),
    [
        ("Your support took four days to answer. Unacceptable.", "complaint", "negative"),
        ("How much is the Standard plan?", "pricing_inquiry", "neutral"),
        ("Hi there!", "greeting", "positive"),
        ("We went with another vendor, thanks anyway.", "not_interested", "neutral"),
        ("Stop emailing me.", "not_interested", "negative"),
        (
            "This is terrible, nothing works and I hate it. Do you have docs?",
            "information_request",
            "negative",
        ),
        ("Wow, this is amazing, I love it! Is there an API?", "integration_question", "positive"),
    ],
)
def test_sentiment_reads_vader_through_the_intent(message, intent, expected):
    label, compound = classify_sentiment(message, intent=intent)

    assert label == expected
    assert -1.0 <= compound <= 1.0
