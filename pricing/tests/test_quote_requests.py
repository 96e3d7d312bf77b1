"""Reading price questions: plan, seats, billing, segment and the annual total, in five languages and
with the conversation as context. Plan names come from the demo price book in the test database."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from company.vocabulary import PlanSpelling
from pricing.models import PlanPrice, PriceBook
from pricing.quote_requests import QuoteRequest, read_quote_request
from pricing.quotes import quote_price

pytestmark = pytest.mark.django_db


def read(message: str, *context: str) -> QuoteRequest:
    request = read_quote_request(message, context=context)
    assert request is not None, message
    return request


@pytest.mark.parametrize(
    ("message", "plan", "seats"),
    [
        ("How much would 300 Standard seats cost us?", "Standard", 300),
        ("What's the price of Premium for 75 users?", "Premium", 75),
        ("We need a quote for 12 Basic licenses.", "Basic", 12),
        ("Pricing for Standard, we're a team of 45", "Standard", 45),
        ("What would a 20-person team pay for Premium?", "Premium", 20),
        ("Budget check: Standard for all 250 people in the company", "Standard", 250),
        ("How much is Basic for 30 of us?", "Basic", 30),
        ("premium plan, 60 employees, how much?", "Premium", 60),
        ("Cost of STANDARD for 1,200 staff?", "Standard", 1200),
        ("How much for Standard if we're about 35?", "Standard", 35),
        ("What's Premium for 40?", "Premium", 40),
        ("Quote for 15 extra Premium seats please", "Premium", 15),
        ("Premium pricing for 2.5k users", "Premium", 2500),
        ("We have 400 employees but only 90 need access. What does Standard cost?", "Standard", 90),
        ("Between 40 and 50 users on Basic, what's the cost?", "Basic", 50),
    ],
)
def test_english_plan_and_seats(message, plan, seats):
    request = read(message)
    assert (request.plan, request.seats) == (plan, seats)
    assert request.is_price_question
    assert request.billing == "annual"


@pytest.mark.parametrize(
    ("message", "plan", "seats"),
    [
        ("hey how much for premium, we got like 60 ppl", "Premium", 60),
        ("whats the damage for 200 seats on standard??", "Standard", 200),
        ("Could you send pricing for the Premium tier? Headcount is 85.", "Premium", 85),
        ("We're looking at roughly 1 200 users on Basic, quote?", "Basic", 1200),
        ("Can I get a price on Standard? We're 30 people right now, maybe 50 by Q3.", "Standard", 30),
        ("We run a school district with 2,000 teachers. Premium pricing?", "Premium", 2000),
        ("We are 12. How much is Standard?", "Standard", 12),
        ("We'd need 8 admins and 40 viewers on Standard: total cost?", "Standard", 8),
    ],
)
def test_informal_phrasings(message, plan, seats):
    request = read(message)
    assert (request.plan, request.seats) == (plan, seats)


@pytest.mark.parametrize(
    ("message", "plan", "seats", "segment", "billing"),
    [
        ("¿Cuánto costaría el plan Premium para 80 usuarios?", "Premium", 80, None, "annual"),
        ("Somos una ONG de 25 personas, ¿qué precio tiene Standard?", "Standard", 25, "nonprofit", "annual"),
        ("Precio de Basic para 1.500 licencias con facturación mensual", "Basic", 1500, None, "monthly"),
        (
            "Somos una escuela, ¿cuánto sale Standard para 120 usuarios?",
            "Standard",
            120,
            "education",
            "annual",
        ),
        ("Quanto custa o Premium para 50 usuários?", "Premium", 50, None, "annual"),
        (
            "Somos uma escola com 200 pessoas. Qual o preço do Standard?",
            "Standard",
            200,
            "education",
            "annual",
        ),
        ("Orçamento do Basic para 60 funcionários, pagando mês a mês", "Basic", 60, None, "monthly"),
        ("Combien coûte Standard pour 90 utilisateurs ?", "Standard", 90, None, "annual"),
        (
            "Nous sommes une association de 40 personnes : quel prix pour Premium ?",
            "Premium",
            40,
            "nonprofit",
            "annual",
        ),
        ("Tarif de Basic pour 300 licences, école primaire", "Basic", 300, "education", "annual"),
        ("Was kostet Premium für 35 Nutzer?", "Premium", 35, None, "annual"),
        ("Wir sind gemeinnützig, 70 Mitarbeiter. Preis für Standard?", "Standard", 70, "nonprofit", "annual"),
        ("Angebot für 110 Lizenzen Basic, monatliche Abrechnung bitte", "Basic", 110, None, "monthly"),
        (
            "Wie viel kostet Standard für 15 Benutzer an unserer Schule?",
            "Standard",
            15,
            "education",
            "annual",
        ),
    ],
)
def test_other_languages(message, plan, seats, segment, billing):
    request = read(message)
    assert (request.plan, request.seats, request.segment, request.billing) == (plan, seats, segment, billing)
    assert request.is_price_question


@pytest.mark.parametrize(
    ("message", "segment"),
    [
        ("We're a registered charity: price for Standard, 20 seats?", "nonprofit"),
        ("Our NGO needs 30 Basic seats, what's the cost?", "nonprofit"),
        ("Small non-profit here, how much for Premium x 10 users?", "nonprofit"),
        ("We're a family foundation, cost of 12 Standard seats?", "nonprofit"),
        ("Pricing for our university department, 80 users on Standard", "education"),
        ("We are an accredited college: how much is Premium for 200 seats?", "education"),
        ("Cuánto cuesta Standard para una organización sin fines de lucro de 30 personas", "nonprofit"),
        ("Preço do Standard para a nossa universidade, 100 usuários", "education"),
        ("Prix de Premium pour notre école, 45 utilisateurs", "education"),
        ("Was kostet Standard für unsere Universität mit 300 Nutzern?", "education"),
        ("We're not a nonprofit, just a small shop. Cost of Basic for 5 users?", None),
        ("No somos una ONG; ¿cuánto cuesta Premium para 10 usuarios?", None),
    ],
)
def test_segments(message, segment):
    assert read(message).segment == segment


@pytest.mark.parametrize(
    ("message", "billing"),
    [
        ("What does Standard cost for 40 users if we pay month to month?", "monthly"),
        ("Price for Basic, 30 seats, billed monthly?", "monthly"),
        ("We don't want an annual commitment. Premium for 20 users, how much?", "monthly"),
        ("Can we pay monthly instead? How much is Standard for 60 seats?", "monthly"),
        ("How much is Premium for 10 users with monthly billing?", "monthly"),
        ("What's the monthly total for Standard with 40 users?", "annual"),
        ("How much per month for 40 Standard seats?", "annual"),
        ("Premium for 25 users: what would we pay monthly, roughly?", "annual"),
        ("Cost for 40 Standard seats billed annually?", "annual"),
        ("Standard for 80 users, annual billing rather than monthly: total?", "annual"),
        ("¿Cuánto al mes por 40 usuarios de Standard?", "annual"),
        ("Preis für Standard, 50 Nutzer, ohne Jahresbindung?", "monthly"),
        ("Prix de Basic pour 20 utilisateurs sans engagement annuel ?", "monthly"),
    ],
)
def test_billing_per_month_is_not_monthly_billing(message, billing):
    assert read(message).billing == billing


@pytest.mark.parametrize(
    ("message", "language", "plan", "seats"),
    [
        ("how much is standrd for twenty of us?", "en", "Standard", 20),
        ("Premuim for forty-five users, how much?", "en", "Premium", 45),
        ("¿Cuánto cuesta Standard para veinte usuarios?", "es", "Standard", 20),
        ("Quanto custa o Premium para trinta usuários?", "pt", "Premium", 30),
        ("Combien coûte Standard pour quarante utilisateurs ?", "fr", "Standard", 40),
        ("Was kostet Premium für dreißig Nutzer?", "de", "Premium", 30),
        # A plan's plural is a word, not a typo of the plan; numbers under three stay words.
        ("We follow security standards. How much for 40 Standard seats?", "en", "Standard", 40),
        ("How much is Basic for two people?", "en", "Basic", None),
        # Counting by the dozen, with or without the article.
        ("how much would Standard be for a dozen of us?", "en", "Standard", 12),
        ("What does Premium cost for half a dozen users?", "en", "Premium", 6),
        ("¿Precio de Standard para una docena de usuarios?", "es", "Standard", 12),
        ("Was kostet Basic für ein Dutzend Nutzer?", "de", "Basic", 12),
    ],
)
def test_numbers_written_as_words_and_plan_names_mistyped(message, language, plan, seats):
    request = read_quote_request(message, language=language)

    assert request is not None
    assert (request.plan, request.seats) == (plan, seats)


@pytest.mark.parametrize(
    ("message", "context", "stated"),
    [
        ("How much per month for 40 Standard seats?", (), False),
        ("Cost for 40 Standard seats billed annually?", (), True),
        ("Can we pay monthly instead? How much is Standard for 60 seats?", (), True),
        # The agent's "billed annually" earlier is the default described, not the prospect's choice.
        ("And for 40 seats?", ("How much is Standard?", "Standard is $49 per seat, billed annually."), False),
    ],
)
def test_billing_is_stated_only_when_the_message_chooses_one(message, context, stated):
    assert read(message, *context).billing_stated is stated


@pytest.mark.parametrize(
    ("message", "wants_annual_total"),
    [
        ("How much per year for 40 Standard seats?", True),
        ("What's the annual cost of Premium for 100 users?", True),
        ("Standard, 60 seats: give me the total per month and per year", True),
        ("Yearly total for 300 Basic licenses?", True),
        ("¿Cuánto al año para 30 usuarios de Premium?", True),
        ("Combien par an pour 25 utilisateurs Standard ?", True),
        ("Was kostet Standard für 40 Nutzer pro Jahr?", True),
        ("How much per month for 40 Standard seats?", False),
        ("Cost for 40 Standard seats billed annually?", False),
        ("We'll grow to 200 users in a year. Price for Standard now, 50 users?", False),
        ("We can't commit to a year. Basic for 10 users paid month to month, how much?", False),
        ("Cost of Premium for 8 seats if we sign for a year?", False),
    ],
)
def test_annual_total(message, wants_annual_total):
    assert read(message).wants_annual_total is wants_annual_total


@pytest.mark.parametrize(
    "message",
    [
        "Is Premium really $99 per seat? I have 3 quick questions about it.",
        "We spent $10,000 last year on Tableau. What does Standard cost?",
        "Can you do 15% off Standard? We need it live in 2 weeks.",
        "Is there a discount on Premium? We'd start in 2026.",
        "What's the Premium price? Call me at 3pm, or 10:30 tomorrow.",
        "Standard at 99.9% uptime, how much is that per seat?",
        "How much is Basic? We have 24/7 shifts and 5 data sources.",
        "Do bulk discounts start from 100 seats on Standard? What's the price then?",
    ],
)
def test_numbers_that_are_not_seat_counts(message):
    request = read(message)
    assert request.is_price_question
    assert request.seats is None


@pytest.mark.parametrize(
    "message",
    [
        "Does Premium include SSO?",
        "Do you integrate with HubSpot and Salesforce?",
        "We have 40 users who need training next week.",
        "Can we get standard reports by email?",
        "¿Tienen soporte en español?",
        "Wir sind 40 Leute und brauchen eine Demo.",
    ],
)
def test_messages_not_about_price_give_none(message):
    assert read_quote_request(message) is None


def test_price_question_without_plan_or_seats_still_counts():
    request = read("Do nonprofits get a discount?")
    assert request.is_price_question
    assert (request.plan, request.seats, request.segment) == (None, None, "nonprofit")
    assert not request.is_complete


def test_lower_case_plan_word_in_another_sense_is_not_the_plan():
    assert read("What's your standard pricing for 50 users?").plan is None
    assert read("How much is enterprise-grade security on Premium?").plan == "Premium"
    assert read("how much is standard for 50 users?").plan == "Standard"


@pytest.mark.parametrize(
    "message",
    [
        "We're on Basic today. What would Premium cost for 40 users?",
        "How much to upgrade from Basic to Premium for 40 users?",
        "Cuánto costaría pasar de Basic a Premium con 40 usuarios?",
        "Was kostet der Wechsel von Basic auf Premium für 40 Nutzer?",
    ],
)
def test_the_plan_asked_about_comes_before_the_plan_they_have(message):
    request = read(message)
    assert (request.plan, request.seats) == ("Premium", 40)
    assert set(request.plans) == {"Basic", "Premium"}


def test_the_plan_they_have_is_still_read_when_it_is_the_only_one():
    assert read("We're on Standard with 30 users; what's our monthly cost?").plan == "Standard"


def test_a_comparison_lists_every_plan_named():
    request = read("Standard vs Premium for 40 users, what's the difference in cost?")
    assert request.plan == "Standard"
    assert request.plans == ("Standard", "Premium")


# --- with the conversation as context -------------------------------------------------------------


def test_follow_up_takes_the_plan_from_the_earlier_quote():
    request = read(
        "and for 40 seats?",
        "How much is Standard for 20 users?",
        "Standard for 20 seats comes to $980 per month, billed annually.",
    )
    assert (request.plan, request.seats, request.billing) == ("Standard", 40, "annual")
    assert request.from_context == ("plan", "billing")


def test_answer_to_the_agents_question_fills_plan_and_segment():
    request = read(
        "yes, we're a school. 150 seats",
        "Hi! What does the Standard plan include?",
        "Standard adds advanced analytics and API access. Happy to quote it: how many seats, and are you a "
        "school or a nonprofit?",
    )
    assert (request.plan, request.seats, request.segment) == ("Standard", 150, "education")
    assert not request.is_price_question
    assert request.plan is not None
    assert request.seats is not None
    assert quote_price(plan=request.plan, seats=request.seats, segment=request.segment).monthly_total == (
        Decimal("4630.50")
    )


def test_what_about_another_plan_keeps_the_seats():
    request = read("What about Premium?", "Price of Standard for 250 users?", "That's $10,412.50 per month.")
    assert (request.plan, request.seats) == ("Premium", 250)
    assert request.from_context == ("seats",)


def test_bare_number_answers_how_many_seats():
    request = read(
        "Around 120.", "What would Premium cost us?", "Glad to help! How many users would need access?"
    )
    assert (request.plan, request.seats) == ("Premium", 120)


def test_the_current_message_wins_over_the_context():
    request = read(
        "Actually make that Basic for 60 people, what would that be?",
        "Quote for Premium, 30 users?",
        "Premium for 30 users is $2,970 per month.",
    )
    assert (request.plan, request.seats) == ("Basic", 60)
    assert request.from_context == ()


def test_the_most_recent_context_wins_over_older_messages():
    request = read(
        "So what's the total?",
        "How much is Basic for 10 users?",
        "Basic is $190 per month for 10 users.",
        "OK. We may go Premium instead, with 80 users.",
        "Premium adds predictive analytics and SSO.",
    )
    assert (request.plan, request.seats) == ("Premium", 80)
    assert request.from_context == ("plan", "seats")


def test_segment_and_billing_carry_over_from_what_the_prospect_said():
    request = read(
        "How much would Standard be for 30 seats?",
        "We're a small charity and we'd rather pay month to month.",
        "Thanks! Nonprofits get 30% off and monthly billing is available.",
    )
    assert (request.segment, request.billing) == ("nonprofit", "monthly")
    assert request.from_context == ("billing", "segment")


def test_the_agents_discount_list_does_not_make_the_prospect_a_nonprofit():
    request = read(
        "OK, how much for Standard with 40 users then?",
        "Do you have discounts?",
        "Yes: 10% from 100 seats, 15% from 250 and 20% from 500; nonprofits and schools get 30% off.",
    )
    assert request.segment is None
    assert request.seats == 40


def test_price_sheet_thresholds_in_context_are_not_seat_counts():
    request = read(
        "What would Premium cost then?",
        "Are there volume discounts?",
        "Yes, 10% from 100 seats and 20% for more than 500 seats.",
    )
    assert (request.plan, request.seats) == ("Premium", None)


def test_follow_up_in_another_language_uses_the_context():
    request = read(
        "¿Y para 60 usuarios?", "¿Cuánto cuesta Premium para 20 usuarios?", "Son 1.980 USD al mes."
    )
    assert (request.plan, request.seats) == ("Premium", 60)


def test_plan_names_come_from_the_active_price_book():
    # Given staff renamed a plan
    book = PriceBook.objects.get(is_active=True)
    PlanPrice.objects.filter(price_book=book, name="Premium").update(name="Professional")
    # Then the new name is read, the old one is not
    assert read("How much is Professional for 20 users?").plan == "Professional"
    assert read("How much is Premium for 20 users?").plan is None


QUOTED = ("How much is Standard for 20 people?", "20 Standard seats come to $980 per month.")


@pytest.mark.parametrize(
    ("message", "plan", "seats"),
    [
        ("E o Premium?", "Premium", 20),
        ("How about the Premium plan instead?", "Premium", 20),
        ("Und Basic?", "Basic", 20),
        ("ok, what if we went with 35", "Standard", 35),
        ("¿y con 45?", "Standard", 45),
        ("Et pour 70 utilisateurs ?", "Standard", 70),
    ],
)
def test_short_follow_ups_after_a_quote(message, plan, seats):
    request = read(message, *QUOTED)
    assert (request.plan, request.seats) == (plan, seats)


@pytest.mark.parametrize(
    "message",
    [
        "And does Premium include SSO?",
        "So does Basic have API access?",
        "Thanks, sounds good!",
        "Great, talk soon",
    ],
)
def test_other_questions_after_a_quote_are_not_price_requests(message):
    assert read_quote_request(message, context=QUOTED) is None


def test_without_an_active_price_book_no_plan_is_read_but_seats_are():
    PriceBook.objects.update(is_active=False)
    request = read("How much is Standard for 20 users?")
    assert (request.plan, request.seats) == (None, 20)


def read_for(vocabulary, message: str, *context: str) -> QuoteRequest:
    request = read_quote_request(
        message, context=context, plans=vocabulary.plan_spellings, segments=vocabulary.segment_terms
    )
    assert request is not None, message
    return request


@pytest.mark.parametrize(
    ("message", "plan", "seats"),
    [
        ("We need to scale our team to 40 agents, what would Growth cost?", "Growth", 40),
        ("how much is growth for 12 agents?", "Growth", 12),
        ("We want to grow: price of the scale plan for 30 agents?", "Scale", 30),
        ("Pricing for Starter, 5 agents please", "Starter", 5),
    ],
)
def test_plan_names_that_are_ordinary_words(brightdesk_vocabulary, message, plan, seats):
    request = read_for(brightdesk_vocabulary, message)

    assert (request.plan, request.seats) == (plan, seats)


def test_a_segment_of_another_price_book_is_read_from_its_terms(brightdesk_vocabulary):
    startup = read_for(
        brightdesk_vocabulary, "We're a seed-stage startup: what does Growth cost for 6 agents?"
    )
    # The demo's segments are not this company's: a nonprofit is quoted at the regular price.
    nonprofit = read_for(brightdesk_vocabulary, "We're a nonprofit: what does Growth cost for 6 agents?")

    assert (startup.segment, nonprofit.segment) == ("startup", None)


def test_a_plan_alias_is_read_as_the_plan(demo_vocabulary):
    vocabulary = replace(
        demo_vocabulary, plans=(*demo_vocabulary.plans[:2], PlanSpelling("Premium", aliases=("Pro",)))
    )

    assert read_for(vocabulary, "How much is Pro for 40 users?").plan == "Premium"
