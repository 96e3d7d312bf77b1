"""The local brain: embeddings classifier, VADER sentiment, gazetteer entities and grounded templates.

It needs no API key and no network, and is what answers when the model path is off or fails.
"""

from __future__ import annotations

import re
from time import perf_counter

from django.conf import settings

from conversations.agent.classifier import (
    IntentPrediction,
    classify_intent,
    follow_up_anchor,
    is_short_affirmative,
)
from conversations.agent.drafting import NO_KNOWLEDGE_INTENTS, compose_draft
from conversations.agent.entities import ANAPHORA_RE, extract_entities
from conversations.agent.sentiment import classify_sentiment
from conversations.agent.tools import lookup_prospect, search_knowledge_base
from conversations.agent.types import NextStep, TurnInput, TurnResult
from conversations.models import Intent
from crm.client import CRMClient, ProspectRecord
from knowledge.embeddings import embed_query

BRAIN_NAME = "local"
MODEL_NAME = "local:knn-minilm+vader+templates"
# A message this short that points back ("that one", "it") is read with what it points at.
ANAPHORIC_MAX_WORDS = 12
CRM_UPDATE_INTENTS = {
    "conversion_signal",
    "not_interested",
    "product_interest",
    "objection",
    "competitor_mention",
    "meeting_request",
    "complaint",
    "trial_request",
}
FOLLOW_UP_INTENTS = {
    "product_interest",
    "objection",
    "pricing_inquiry",
    "product_comparison",
    "competitor_mention",
    "trial_request",
    "meeting_request",
}
HIGH_PRIORITY_INTENTS = {"complaint", "conversion_signal"}
# Intents whose reply is useful without a knowledge-base sentence (an apology, a sign-up, a booking).
ANSWERED_WITHOUT_KNOWLEDGE = NO_KNOWLEDGE_INTENTS | {"complaint", "conversion_signal", "meeting_request"}
LOW_PRIORITY_INTENTS = {"greeting", "not_interested"}


def earlier_prospect_messages(turn: TurnInput) -> list[str]:
    """The prospect's earlier messages in this conversation, oldest first."""
    return [item.content for item in turn.history if item.sender == "prospect"]


def search_query_for(turn: TurnInput, prediction: IntentPrediction | None = None) -> str:
    """The text to search with: a follow-up carries what it leans on, a standalone message stands alone.

    A short yes carries the agent's offer it accepts; an elliptical follow-up that continues the
    earlier topic (``prediction.anchor``), or a short message pointing back ("how much would that one
    be?"), carries the prospect message it continues. Searching a new question on its own keeps an
    earlier topic from pulling results away.
    """
    message = turn.message
    if not turn.history:
        return message
    context = []
    if is_short_affirmative(message) and "?" in turn.last_from("agent"):
        context.append(turn.last_from("agent"))
    if prediction is not None and prediction.anchor:
        context.append(prediction.anchor)
    elif is_short_affirmative(message) or (
        len(message.split()) <= ANAPHORIC_MAX_WORDS and ANAPHORA_RE.search(message)
    ):
        context.append(follow_up_anchor(earlier_prospect_messages(turn)))
    return " ".join([message, *(text for text in context if text)])


def choose_priority(intent: str, sentiment: str, prospect: ProspectRecord | None) -> str:
    """High for complaints, buying signals and unhappy or hot leads; low for small talk and opt-outs."""
    lead_score = prospect.lead_score if prospect else 0
    if intent in HIGH_PRIORITY_INTENTS:
        return "high"
    if intent in LOW_PRIORITY_INTENTS:
        return "low"
    if sentiment == "negative" and lead_score >= 60:
        return "high"
    if lead_score >= 80 and intent in {
        "meeting_request",
        "pricing_inquiry",
        "product_comparison",
        "trial_request",
    }:
        return "high"
    return "medium"


def intent_routing(intent: str) -> tuple[str, list[str]]:
    """The intent's primary action and the knowledge categories its answers usually come from."""
    row = Intent.objects.filter(name=intent).values_list("primary_action", "knowledge_categories").first()
    if row is None:
        return "FLAG_FOR_HUMAN_REVIEW", []
    return row[0], list(row[1] or [])


def plan_next_steps(
    *,
    intent: str,
    primary_action: str,
    entities: list[str],
    prospect: ProspectRecord | None,
    prospect_id: str | None,
    confidence: float,
    grounded: bool = True,
) -> list[NextStep]:
    """Primary action from the taxonomy first, then the secondary actions this turn calls for.

    A person reviews the turn when the intent is uncertain, or when the answer needed the knowledge
    base and no retrieved sentence fitted (the draft can only promise to follow up).
    """
    about = f" ({', '.join(entities[:3])})" if entities else ""
    steps = [NextStep(primary_action, f"{intent.replace('_', ' ')}{about}")]
    if prospect is None:
        who = (
            f"prospect id {prospect_id!r} is unknown to the CRM"
            if prospect_id
            else "no prospect id was given"
        )
        steps.append(NextStep("CREATE_LEAD", who))
    elif intent in CRM_UPDATE_INTENTS:
        steps.append(NextStep("UPDATE_CRM", f"record {intent.replace('_', ' ')} on {prospect.prospect_id}"))
    if intent in FOLLOW_UP_INTENTS:
        steps.append(NextStep("SCHEDULE_FOLLOW_UP", "keep the conversation moving"))
    reasons = []
    if confidence < settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD:
        reasons.append(f"confidence {confidence:.2f} below {settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD:.2f}")
    if not grounded and intent not in ANSWERED_WITHOUT_KNOWLEDGE:
        reasons.append("no knowledge-base sentence answers this; the draft only promises a follow-up")
    if reasons:
        steps.append(NextStep("FLAG_FOR_HUMAN_REVIEW", "; ".join(reasons)))
    return steps


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


def turn_confidence(intent_confidence: float) -> float:
    """The turn's confidence: the calibrated probability that the intent, and so the primary action,
    is right. Whether the draft found an answer is a separate review reason (see plan_next_steps), so
    the score stays comparable with how often the agent is actually right."""
    return round(intent_confidence, 3)


def run_local_brain(turn: TurnInput, *, crm: CRMClient) -> TurnResult:
    """Answer one turn with local models only."""
    started = perf_counter()
    reasoning: list[str] = []
    history_texts = [item.content for item in turn.history]

    message_vector = embed_query(turn.message)
    prediction = classify_intent(
        turn.message,
        message_vector,
        last_agent_message=turn.last_from("agent"),
        earlier_prospect_messages=earlier_prospect_messages(turn),
    )
    runner_up, runner_score = prediction.runner_up
    if prediction.method == "context":
        reasoning.append(
            f"Short reply read against the agent's last message ({turn.last_from('agent')[:80]!r}): "
            f"intent {prediction.intent}."
        )
    elif prediction.method == "follow_up":
        reasoning.append(
            f"Elliptical follow-up with no confident intent of its own: keeps the intent of "
            f"{prediction.anchor[:80]!r}, {prediction.intent}."
        )
    else:
        best_score = prediction.scores.get(prediction.intent, 0.0)
        reasoning.append(
            f"Intent {prediction.intent} by nearest examples (score {best_score:.2f}; "
            f"runner-up {runner_up} {runner_score:.2f}; P(right) {prediction.confidence:.2f})."
        )
    sentiment, compound = classify_sentiment(turn.message, intent=prediction.intent)
    reasoning.append(f"Sentiment {sentiment} (VADER compound {compound:+.2f}, read with the intent).")
    entities = extract_entities(
        turn.message,
        history=history_texts,
        follow_up=bool(prediction.anchor) and not is_short_affirmative(turn.message),
        accepts_offer=is_short_affirmative(turn.message),
    )
    if entities:
        reasoning.append(f"Entities: {', '.join(entities)}.")

    tool_log = []
    prospect = None
    if turn.prospect_id:
        prospect, call = lookup_prospect(crm, turn.prospect_id)
        tool_log.append(call)
        reasoning.append(f"CRM lookup for {turn.prospect_id}: {call.output_summary}.")
    else:
        reasoning.append("No prospect id: no CRM lookup.")

    primary_action, knowledge_categories = intent_routing(prediction.intent)
    query = search_query_for(turn, prediction)
    query_vector = message_vector if query == turn.message else embed_query(query)
    knowledge, call = search_knowledge_base(
        query,
        k=settings.KNOWLEDGE_SEARCH_K,
        query_vector=query_vector,
        prefer_categories=knowledge_categories,
    )
    tool_log.append(call)
    reasoning.append(f"Knowledge search for {query[:80]!r}: {call.output_summary}.")

    draft = compose_draft(
        intent=prediction.intent,
        query_vector=query_vector,
        knowledge=knowledge,
        entities=entities,
        prospect=prospect,
    )
    if draft.cited_chunk_ids:
        reasoning.append(f"Draft grounded in chunks {draft.cited_chunk_ids}.")
    elif prediction.intent not in NO_KNOWLEDGE_INTENTS:
        reasoning.append(
            "No knowledge-base sentence matched well enough; the draft promises a follow-up instead."
        )

    confidence = turn_confidence(prediction.confidence)
    priority = choose_priority(prediction.intent, sentiment, prospect)
    steps = plan_next_steps(
        intent=prediction.intent,
        primary_action=primary_action,
        entities=entities,
        prospect=prospect,
        prospect_id=turn.prospect_id,
        confidence=confidence,
        grounded=bool(draft.cited_chunk_ids),
    )
    reasoning.append(
        f"Confidence {confidence:.2f}; priority {priority}; next steps {', '.join(s.action for s in steps)}."
    )
    return TurnResult(
        intent=prediction.intent,
        sentiment=sentiment,
        entities=entities,
        key_points=key_points_for(turn, entities, prospect),
        priority=priority,
        confidence=confidence,
        draft=draft.text,
        next_steps=steps,
        knowledge=knowledge,
        citations=draft.cited_chunk_ids,
        prospect=prospect,
        tool_log=tool_log,
        reasoning=reasoning,
        brain=BRAIN_NAME,
        model_name=MODEL_NAME,
        latency_ms=(perf_counter() - started) * 1000,
    )
