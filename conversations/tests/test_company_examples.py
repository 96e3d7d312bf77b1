"""The reader learns the company's own names from taxonomy templates filled with its data."""

from __future__ import annotations

from conversations.reader.company_examples import company_examples

ALL_INTENTS = {"integration_question", "competitor_mention", "pricing_inquiry", "product_comparison"}


def test_templates_are_filled_with_the_companys_tools_competitors_and_plans(brightdesk_vocabulary):
    examples = company_examples(brightdesk_vocabulary, ALL_INTENTS)

    texts = {(intent, text) for intent, text, _ in examples}
    assert ("integration_question", "Do you integrate with Intercom?") in texts
    assert ("competitor_mention", "How are you different from Zendesk?") in texts
    assert ("pricing_inquiry", "How much is the Growth plan?") in texts
    assert ("product_comparison", "What's the difference between Growth and Scale?") in texts
    # Intercom is both: a tool it connects to and a competitor, each in its own intent
    assert ("competitor_mention", "We currently use Intercom.") in texts
    assert {language for _, _, language in examples} == {"en", "es", "pt", "fr", "de"}


def test_an_inactive_intent_or_a_missing_name_gives_no_examples(brightdesk_vocabulary, demo_vocabulary):
    only_pricing = company_examples(brightdesk_vocabulary, {"pricing_inquiry"})

    assert {intent for intent, _, _ in only_pricing} == {"pricing_inquiry"}
    assert not any("Premium" in text for _, text, _ in company_examples(brightdesk_vocabulary, ALL_INTENTS))
    assert any("Premium" in text for _, text, _ in company_examples(demo_vocabulary, ALL_INTENTS))
