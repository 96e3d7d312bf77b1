"""The company's vocabulary: plan spellings, terms, segments and unit, from data rather than code."""

from __future__ import annotations

from company.vocabulary import EMPTY_VOCABULARY, build_vocabulary


def test_plan_spellings_map_names_and_aliases_to_the_price_books_name():
    vocabulary = build_vocabulary({"plans": [{"name": "Professional", "aliases": ["Pro", "pro plan"]}]}, None)

    assert vocabulary.plan_names == ("Professional",)
    assert vocabulary.plan_spellings == {
        "pro": "Professional",
        "pro plan": "Professional",
        "professional": "Professional",
    }


def test_terms_are_found_by_name_or_alias_as_whole_words(brightdesk_vocabulary):
    mentions = brightdesk_vocabulary.term_mentions(
        "Moving from Zen desk; does it sync with MS Teams and Jira?"
    )

    assert [entity for _, entity in mentions] == ["microsoft teams", "jira", "zendesk"]
    assert brightdesk_vocabulary.term_mentions("we use jirafe and teamsters") == []


def test_named_things_are_the_tools_and_competitors(brightdesk_vocabulary, demo_vocabulary):
    assert {"intercom", "zendesk", "help scout", "whatsapp business"} <= brightdesk_vocabulary.named_things
    # A feature is a topic the knowledge base may word differently, not a named product.
    assert "dashboard" not in demo_vocabulary.named_things
    assert {"salesforce", "tableau"} <= demo_vocabulary.named_things


def test_the_unit_comes_from_the_profile_with_its_translations(brightdesk_vocabulary):
    assert brightdesk_vocabulary.unit == ("agent", "agents")
    assert brightdesk_vocabulary.unit_words("es") == ("agente", "agentes")
    assert brightdesk_vocabulary.unit_words("en") == ("agent", "agents")
    assert brightdesk_vocabulary.unit_words("ja") is None


def test_segments_carry_their_terms(brightdesk_vocabulary):
    assert list(brightdesk_vocabulary.segment_terms) == ["startup"]
    assert "start-up" in brightdesk_vocabulary.segment_terms["startup"]


def test_nothing_configured_is_an_empty_vocabulary_priced_per_seat():
    vocabulary = build_vocabulary(None, None)

    assert vocabulary == EMPTY_VOCABULARY
    assert (vocabulary.plans, vocabulary.terms, vocabulary.unit) == ((), (), ("seat", "seats"))
