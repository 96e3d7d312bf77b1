import pytest

from conversations.agent.entities import extract_entities


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("How much is the Standard plan?", ["standard plan"]),
        (
            "What's the difference between the basic and standard package?",
            ["basic package", "standard package"],
        ),
        ("Does it sync with HubSpot and Snowflake?", ["hubspot", "snowflake"]),
        ("Is the interface available in Portuguese?", ["portuguese"]),
        ("We need 1,200 licenses for the team", ["1200 licenses"]),
        ("Could we talk next Tuesday?", ["next tuesday"]),
        ("Do you accept Amex or PayPal?", ["american express", "paypal"]),
        ("Are you SOC2 and GDPR compliant?", ["soc 2", "gdpr"]),
    ],
)
def test_extracts_domain_entities(message, expected, demo_vocabulary):
    entities = extract_entities(message, demo_vocabulary)

    for entity in expected:
        assert entity in entities


def test_people_count_as_seats(demo_vocabulary):
    assert "120 seats" in extract_entities("What would it cost for 120 people?", demo_vocabulary)


def test_follow_up_borrows_the_plan_named_earlier(demo_vocabulary):
    history = ["We're leaning towards the Premium plan.", "Great choice!"]

    assert (
        extract_entities("How much would that one be?", demo_vocabulary, history=history)[0] == "premium plan"
    )


def test_specific_entity_hides_its_generic_parent(demo_vocabulary):
    entities = extract_entities("Is there a volume discount for 300 seats?", demo_vocabulary)

    assert "volume discount" in entities
    assert "discount" not in entities
    assert "300 seats" in entities


def test_lowercase_plan_words_without_a_plan_noun_are_not_plans(demo_vocabulary):
    assert extract_entities("We need standard reports", demo_vocabulary) == []


def test_an_elliptical_follow_up_carries_the_plan_under_discussion(demo_vocabulary):
    history = ["How much is the Enterprise plan?", "Enterprise is quoted per seat."]

    assert extract_entities("And for 300 seats?", demo_vocabulary, history=history, follow_up=True) == [
        "enterprise plan",
        "300 seats",
    ]
    # Without the follow-up reading, nothing points back at the plan.
    assert extract_entities("And for 300 seats?", demo_vocabulary, history=history) == ["300 seats"]


def test_a_follow_up_with_a_subject_of_its_own_does_not_borrow_the_plan(demo_vocabulary):
    history = ["Is the Premium plan available in Spanish?"]

    assert extract_entities("What about Portuguese?", demo_vocabulary, history=history, follow_up=True) == [
        "portuguese"
    ]


def test_the_it_in_a_yes_is_the_offer_not_a_plan(demo_vocabulary):
    history = ["The Standard plan seems right.", "Shall I set up your subscription?"]

    assert extract_entities("Yes, let's do it.", demo_vocabulary, history=history, accepts_offer=True) == []
    assert extract_entities(
        "Yes, that one please.", demo_vocabulary, history=history, accepts_offer=True
    ) == ["standard plan"]


def test_currencies_and_identity_providers_are_entities(demo_vocabulary):
    assert extract_entities("Can we pay in euros or only in US dollars?", demo_vocabulary) == ["eur", "usd"]
    assert extract_entities("Is it possible to pay in BRL?", demo_vocabulary) == ["brl"]
    assert "eur" not in extract_entities("Our data must stay in Europe.", demo_vocabulary)
    assert extract_entities("Does SSO work with Okta or Azure AD?", demo_vocabulary) == [
        "sso",
        "okta",
        "azure ad",
    ]


def test_another_companys_plans_tools_and_unit(brightdesk_vocabulary):
    # Given a helpdesk company whose plans are ordinary words, priced per agent
    entities = extract_entities(
        "We need to scale our team to 40 agents, what would Growth cost? We use Intercom today.",
        brightdesk_vocabulary,
    )

    # Then the plan written as a name wins over the verb, and the company's own tools are entities
    assert entities[0] == "growth plan"
    assert "scale plan" not in entities
    assert {"intercom", "40 agents"} <= set(entities)


def test_the_demo_companys_names_mean_nothing_to_another_company(brightdesk_vocabulary):
    assert extract_entities(
        "What does the Premium plan cost? Do you integrate with Tableau?", brightdesk_vocabulary
    ) == ["price"]


def test_a_segment_discount_is_an_entity_from_the_price_books_terms(brightdesk_vocabulary):
    entities = extract_entities("We're an early-stage startup, is there a discount?", brightdesk_vocabulary)

    assert "startup discount" in entities
    assert "discount" not in entities
