"""How the local brain writes a reply: an opening that fits the tone, refusals of risky requests, the
quote's figures, an answer to each question from the knowledge base (or "let me check" for what it
never mentions), the intent's standing answer, and a closing line, all in the prospect's language.

Openings, closings and stock sentences make no factual claims; facts come only from retrieved
sentences and the quote tool, so the grounding guard passes the draft by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from company.vocabulary import Vocabulary
from conversations.agent.catalogue import CATALOGUE_IDS, catalogue_results
from conversations.agent.draft_checks import contradictions
from conversations.agent.drafting import (
    CHUNKS_READ,
    MAX_SENTENCES,
    select_sentences,
    with_short_section,
)
from conversations.agent.entities import extract_entities, plan_mentions
from conversations.agent.evidence import Evidence, QuestionEvidence
from conversations.agent.phrases import join_list, name_values, phrase
from conversations.agent.policy import COMPLAINT, NOT_INTERESTED, IntentPolicy
from conversations.agent.quoting import unit_words
from conversations.agent.risks import RiskKind
from conversations.models import Intent
from pricing.money import MONEY_RE

# With several questions each gets fewer sentences, so the draft stays readable.
SENTENCES_PER_QUESTION = {1: MAX_SENTENCES}
SENTENCES_PER_QUESTION_MANY = 2
REFUSALS = {
    RiskKind.OUT_OF_POLICY_PROMISE: "refuse_out_of_policy",
    RiskKind.INSTRUCTIONS_TO_AGENT: "refuse_out_of_policy",
    RiskKind.AUTHORITY_CLAIM: "refuse_out_of_policy",
    RiskKind.OTHER_CUSTOMERS_DATA: "refuse_other_customers",
}


@dataclass
class ComposedReply:
    text: str
    cited_chunk_ids: list[int]
    knowledge_sentences: list[str]
    # A sentence stated from the price book or company profile (``catalogue.py``), not a chunk.
    from_catalogue: bool = False
    # Questions that got no answer from the knowledge base (a holding line instead).
    unanswered: list[str] = field(default_factory=list)


def display_term(term: str) -> str:
    """How a named thing is written in a reply: "HIPAA", "Jira", "Help Scout"."""
    return term.upper() if " " not in term and len(term) <= 5 else term.title()


def opening(
    *, policy: IntentPolicy, evidence: Evidence, sentiment: str, language: str, first_name: str
) -> str:
    """An apology for an unhappy prospect, never a cheerful opener; the intent's frame otherwise."""
    names = name_values(first_name)
    unhappy = evidence.tone.negative or sentiment == "negative"
    if unhappy and policy.name != NOT_INTERESTED:
        if policy.name == COMPLAINT or evidence.tone.service_failure:
            return phrase("apology_opener", language, **names)
        return phrase("negative_opener", language, **names)
    if evidence.risks:
        # A request we must refuse is no occasion for "That's fantastic!".
        return phrase("neutral_opener", language, **names)
    template = policy.frame(language).get("opener")
    return template.format(**names) if template else phrase("neutral_opener", language, **names)


def _known_subjects(question: QuestionEvidence, vocabulary: Vocabulary) -> list[str]:
    """The entities a question names that the knowledge base does mention."""
    return [
        entity
        for entity in extract_entities(question.text, vocabulary)
        if entity not in question.unknown_terms
    ]


def _mentions_any(sentence: str, entities: list[str]) -> bool:
    lowered = sentence.lower()
    return any(re.search(rf"(?<![\w-]){re.escape(entity)}(?![\w-])", lowered) for entity in entities)


def _explicit_plans(sentence: str, vocabulary: Vocabulary) -> set[str]:
    """The price book's names of the plans ``sentence`` names as plans (not as ordinary words)."""
    return {name for _, name, _, explicit in plan_mentions(sentence, vocabulary) if explicit}


def _names_another_plan(sentence: str, plans: set[str], vocabulary: Vocabulary) -> bool:
    """Whether ``sentence`` names a plan other than ``plans`` (those the prospect's message names)."""
    return bool(_explicit_plans(sentence, vocabulary) - plans)


def _prices_only_other_plans(sentence: str, plans: set[str], vocabulary: Vocabulary) -> bool:
    """Whether ``sentence`` states a price and names only plans other than ``plans`` (those the
    prospect named): "The Scale plan costs $79" answers nothing about Growth's price and reads as an
    upsell."""
    if not plans or not MONEY_RE.search(sentence):
        return False
    named = _explicit_plans(sentence, vocabulary)
    return bool(named) and not named & plans


def _restates_computed_prices(sentence: str, quote_sentences: list[str]) -> bool:
    """Whether every amount ``sentence`` states is already in the quote's sentences: "The Pro plan costs
    $49 per seat per month." adds nothing after the quote tool's "Pro costs $49 per seat per month,
    billed annually."."""
    amounts = MONEY_RE.findall(sentence)
    stated = " ".join(quote_sentences)
    return bool(amounts) and all(amount in stated for amount in amounts)


def closing(
    *, policy: IntentPolicy, language: str, asked_for_seats: bool, quoted: bool, vocabulary: Vocabulary
) -> str:
    """The draft's last line: the question for a missing head count, the intent's line for after a
    quote when a quote was stated (its usual closer may offer one), else the intent's closer."""
    if asked_for_seats:
        return phrase("quote_ask_seats", language, unit=unit_words(vocabulary, language)[1])
    frame = policy.frame(language)
    if quoted and frame.get("after_quote"):
        return frame["after_quote"]
    if policy.name == COMPLAINT and not frame.get("closer"):
        return phrase("escalation_closer", language)
    return frame.get("closer", "")


def compose_reply(
    *,
    policy: IntentPolicy,
    evidence: Evidence,
    sentiment: str,
    entities: list[str],
    first_name: str,
    quote_sentences: list[str],
    asked_for_seats: bool,
    language_has_knowledge: bool,
) -> ComposedReply:
    """The whole draft for one turn."""
    language = evidence.language.code
    if evidence.out_of_scope:
        # Meant for someone else, or about what this company does not handle: an honest holding reply,
        # no product answer and no cheerful opener; a person reads it (the policy flags the turn).
        return ComposedReply(
            text=phrase("out_of_scope_reply", language, **name_values(first_name)),
            cited_chunk_ids=[],
            knowledge_sentences=[],
        )
    body: list[str] = [phrase(REFUSALS[risk.kind], language) for risk in evidence.risks]
    body = list(dict.fromkeys(body))
    body.extend(quote_sentences)
    chosen: list[tuple[str, int]] = []
    unanswered: list[str] = []
    if not language_has_knowledge:
        body.append(phrase("no_language_knowledge", language))
    elif policy.answer_source != Intent.AnswerSource.NONE:
        per_question = SENTENCES_PER_QUESTION.get(len(evidence.questions), SENTENCES_PER_QUESTION_MANY)
        standing = evidence.standing.get(policy.name)
        if standing is not None and len(evidence.questions) == 1:
            # The standing answer takes one of the answer's places: a longer draft is not a better one.
            per_question -= 1
        used: set[str] = set()
        unhappy = evidence.tone.angry or evidence.tone.is_complaint
        if evidence.unknown_terms:
            topic = join_list([display_term(term) for term in evidence.unknown_terms], language)
            body.append(phrase("unknown_answer", language, topic=topic))
        offered_plans = {
            name
            for _, name, _, _ in plan_mentions(
                " ".join(q.text for q in evidence.questions), evidence.vocabulary
            )
        }
        for question in evidence.questions:
            # A question about something the knowledge base never mentions gets "let me check" for
            # it; only what it asks about that the knowledge base does know may be answered beside it.
            known = _known_subjects(question, evidence.vocabulary)
            if question.unknown_terms and not known:
                continue
            catalogue = catalogue_results(
                evidence.vocabulary, language, policy.knowledge_categories, question=question.text
            )
            knowledge = [
                result
                for result in question.knowledge
                if not (unhappy and result.category in evidence.vocabulary.pitch_categories)
            ]
            picked = select_sentences(
                question.vector,
                # The data's lists first, then the top retrieved chunks; the question picks among them.
                [*catalogue, *knowledge],
                from_top=len(catalogue) + CHUNKS_READ,
                # With several questions, what one names must not pull another's answer its way.
                entities=(
                    extract_entities(question.text, evidence.vocabulary)
                    if len(evidence.questions) > 1
                    else entities
                ),
                max_sentences=per_question,
                question=question.text,
                exclude=used,
                language=language,
            )
            # A short section is one answer: its other sentence beats the next-best one elsewhere.
            picked = with_short_section(picked, [*catalogue, *knowledge], exclude=used)[:per_question]
            if not picked:
                unanswered.append(question.text)
            for sentence, chunk_id in picked:
                if question.unknown_terms and not _mentions_any(sentence, known):
                    continue  # nearby, not about what was asked
                if unhappy and _names_another_plan(sentence, offered_plans, evidence.vocabulary):
                    continue  # an unhappy customer is not sold another plan's perks
                if _prices_only_other_plans(sentence, offered_plans, evidence.vocabulary):
                    continue
                if _restates_computed_prices(sentence, quote_sentences):
                    continue
                if contradictions(" ".join([*(s for s, _ in chosen), sentence])):
                    continue  # a later sentence must not take back what an earlier one said
                used.add(sentence)
                chosen.append((sentence, chunk_id))
                body.append(sentence)
        # The intent's standing answer, then each other intent's the message touches ("… and where do
        # I sign up?" gets the sign-up link beside the price); an unhappy prospect is not pitched to.
        answers = [standing] if standing is not None else []
        answers.extend(
            evidence.standing[intent]
            for intent in evidence.secondary_intents
            if intent != policy.name and intent in evidence.standing
        )
        for answer in answers:
            results = [
                result
                for result in answer.knowledge
                if answer is standing
                or not (unhappy and result.category in evidence.vocabulary.pitch_categories)
            ]
            best = select_sentences(
                answer.vector,
                results,
                entities=entities,
                max_sentences=1,
                question=answer.query,
                exclude=used,
                language=language,
            )
            for sentence, chunk_id in best:
                if _restates_computed_prices(sentence, quote_sentences):
                    continue
                if contradictions(" ".join([*(s for s, _ in chosen), sentence])):
                    continue
                used.add(sentence)
                chosen.append((sentence, chunk_id))
                body.append(sentence)
        if not chosen and not evidence.unknown_terms and not evidence.risks and not quote_sentences:
            body.append(phrase("holding_reply", language))
    # A reply that only promises a follow-up ends there: a closing offer or question would answer on its
    # behalf. A complaint keeps its closer: the escalation is the follow-up promised.
    holding = (
        not chosen
        and not quote_sentences
        and not evidence.risks
        and (
            not language_has_knowledge
            or bool(evidence.unknown_terms)
            or policy.answer_source != Intent.AnswerSource.NONE
        )
    )
    close = (
        ""
        if holding and policy.name != COMPLAINT
        else closing(
            policy=policy,
            language=language,
            asked_for_seats=asked_for_seats,
            quoted=bool(evidence.quote and evidence.quote.quote) and bool(quote_sentences),
            vocabulary=evidence.vocabulary,
        )
    )
    parts = [
        opening(
            policy=policy, evidence=evidence, sentiment=sentiment, language=language, first_name=first_name
        ),
        *body,
        close,
    ]
    return ComposedReply(
        text=" ".join(part for part in parts if part),
        cited_chunk_ids=list(
            dict.fromkeys(chunk_id for _, chunk_id in chosen if chunk_id not in CATALOGUE_IDS)
        ),
        knowledge_sentences=[sentence for sentence, _ in chosen],
        from_catalogue=any(chunk_id in CATALOGUE_IDS for _, chunk_id in chosen),
        unanswered=unanswered,
    )
