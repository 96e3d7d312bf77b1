"""The local brain: judges a turn from its evidence with local models only (no API key, no network).

Intent by the trained reader (``conversations/reader``; read in the context of the conversation), a
complaint when the tone says so, sentiment from VADER and the tone markers, entities
from a gazetteer, and a draft written from retrieved sentences and tool figures (``composition.py``).
It is also what answers when the model path is off or fails.
"""

from __future__ import annotations

import re

from conversations.agent.brain import Judgement
from conversations.agent.classifier import CONTEXT_CONFIDENCE, is_short_affirmative, restrict_prediction
from conversations.agent.composition import compose_reply
from conversations.agent.entities import extract_entities
from conversations.agent.evidence import Evidence
from conversations.agent.policy import (
    COMPLAINT,
    NOT_INTERESTED,
    PRICING_INQUIRY,
    UNKNOWN_INTENT_POLICY,
    IntentPolicy,
)
from conversations.agent.quoting import quote_sentences
from conversations.agent.sentiment import classify_sentiment
from conversations.agent.types import TurnInput
from crm.client import ProspectRecord

BRAIN_NAME = "local"
MODEL_NAME = "local:reader-minilm+vader+templates"


def key_points_for(turn: TurnInput, entities: list[str], prospect: ProspectRecord | None) -> list[str]:
    first_sentence = re.split(r"(?<=[.!?])\s+", turn.message.strip())[0]
    points = [f"Prospect wrote: {first_sentence[:160]}"]
    if entities:
        points.append(f"Mentions: {', '.join(entities)}")
    if prospect:
        points.append(
            f"{prospect.name} ({prospect.company}, {prospect.industry}), stage {prospect.stage}, "
            f"lead score {prospect.lead_score}" + (f"; CRM notes: {prospect.notes}" if prospect.notes else "")
        )
    if turn.history:
        points.append(f"Follows {len(turn.history)} earlier message(s) in this conversation")
    return points


def _intent(evidence: Evidence, policies: dict[str, IntentPolicy]) -> tuple[str, float, str]:
    """(intent, confidence, why) from the classifier, overridden by an unmistakable complaint.

    An angry message is not a greeting, a buying signal or a demo request: intents whose policy says
    they are not plausible when angry are ruled out when the tone is.
    """
    prediction = evidence.prediction
    if evidence.tone.angry or evidence.tone.is_complaint:
        plausible = {name for name, policy in policies.items() if policy.plausible_when_angry}
        prediction = restrict_prediction(prediction, plausible, index=evidence.index)
    if evidence.tone.is_complaint and prediction.intent != COMPLAINT and COMPLAINT in policies:
        markers = ", ".join(repr(marker) for marker in evidence.tone.markers[:3])
        # No data measures the tone rule, so its confidence is the context rules' stated prior.
        return COMPLAINT, CONTEXT_CONFIDENCE, f"Complaint by tone ({markers}), whatever topic it mentions."
    runner_up, runner_score = prediction.runner_up
    if prediction.method == "context":
        why = f"Short reply read against the agent's last message: intent {prediction.intent}."
    elif prediction.method == "follow_up":
        why = (
            f"Follow-up with no confident intent of its own: keeps {prediction.intent} "
            f"from {prediction.anchor[:80]!r}."
        )
    elif prediction.method == "reader":
        why = (
            f"Intent {prediction.intent} by the trained reader (P {prediction.confidence:.2f}; runner-up "
            f"{runner_up} {runner_score:.2f})."
        )
    else:
        best = prediction.scores.get(prediction.intent, 0.0)
        why = (
            f"Intent {prediction.intent} by nearest examples (score {best:.2f}; runner-up {runner_up} "
            f"{runner_score:.2f}; P(right) {prediction.confidence:.2f})."
        )
    return prediction.intent, prediction.confidence, why


class LocalBrain:
    name = BRAIN_NAME

    def judge(self, turn: TurnInput, evidence: Evidence, policies: dict[str, IntentPolicy]) -> Judgement:
        intent, confidence, why = _intent(evidence, policies)
        policy = policies.get(intent, UNKNOWN_INTENT_POLICY)
        sentiment = classify_sentiment(
            turn.message,
            compound=evidence.tone.compound,
            angry=evidence.tone.negative,
            declining=intent == NOT_INTERESTED,
        )
        history = [item.content for item in turn.history]
        entities = extract_entities(
            turn.message,
            evidence.vocabulary,
            history=history,
            follow_up=bool(evidence.prediction.anchor) and not is_short_affirmative(turn.message),
            accepts_offer=is_short_affirmative(turn.message),
        )
        prospect = evidence.prospect
        # A complaint that mentions a quote wants a person, not the figures.
        quote = evidence.quote if intent != COMPLAINT else None
        reply = compose_reply(
            policy=policy,
            evidence=evidence,
            sentiment=policy.sentiment_override or sentiment,
            entities=entities,
            first_name=prospect.first_name if prospect else "",
            quote_sentences=quote_sentences(quote, evidence.language.code, evidence.vocabulary)
            if quote
            else [],
            # Only a price question needs the head count; a comparison naming a plan does not.
            asked_for_seats=bool(quote and quote.asks_for_seats and intent == PRICING_INQUIRY),
            language_has_knowledge=evidence.has_language_knowledge,
        )
        reasoning = [why, f"Sentiment {sentiment} (VADER {evidence.tone.compound:+.2f}, tone markers)."]
        if entities:
            reasoning.append(f"Entities: {', '.join(entities)}.")
        if reply.cited_chunk_ids:
            reasoning.append(f"Draft grounded in chunks {reply.cited_chunk_ids}.")
        review = []
        if reply.unanswered and len(evidence.questions) > 1:
            review.append(
                f"{len(reply.unanswered)} of {len(evidence.questions)} questions have no "
                "knowledge-base answer"
            )
        return Judgement(
            intent=intent,
            sentiment=sentiment,
            language=evidence.language.code,
            entities=entities,
            key_points=key_points_for(turn, entities, prospect),
            draft=reply.text,
            citations=reply.cited_chunk_ids,
            confidence=round(confidence, 3),
            brain=BRAIN_NAME,
            model_name=MODEL_NAME,
            reasoning=reasoning,
            review_reasons=review,
            grounded=bool(reply.cited_chunk_ids) or reply.from_catalogue or bool(quote and quote.quote),
            tool_evidence=quote.facts if quote else [],
        )
