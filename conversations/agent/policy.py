"""The agent's policy: what the sales team should do about a turn, whichever brain judged it.

A brain returns only its judgement (intent, sentiment, draft, confidence, its own review reasons).
This module turns a judgement and the turn's evidence into next steps, priority and review flags,
from per-intent rules stored on the ``Intent`` rows (editable in the admin) and the few rules that
hold for every intent (unknown prospects, risky requests, unanswerable questions, language).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models.expressions import RawSQL

from conversations.agent.reference_data import IntentsVersion, policies_digest_sql
from conversations.agent.types import NextStep
from conversations.models import INTENT_POLICY_FIELDS, Action, Intent
from crm.client import ProspectRecord
from crm.stages import stage_advances
from knowledge.languages import classify_language, language_name

# Intents the code itself refers to; the system check (conversations/checks.py) fails when one of
# them is missing from the intents table, so a rename in the admin cannot silently break a rule.
COMPLAINT = "complaint"
GREETING = "greeting"
NOT_INTERESTED = "not_interested"
PRICING_INQUIRY = "pricing_inquiry"
REFERENCED_INTENTS = (COMPLAINT, GREETING, NOT_INTERESTED, PRICING_INQUIRY)
HOT_LEAD_SCORE = 80
QUALIFIED_LEAD_SCORE = 60
# A draft shorter than this is too short to tell its language; it is not checked.
MIN_WORDS_TO_CHECK_LANGUAGE = 6
LANGUAGE_CHECK_CONFIDENCE = 0.9


@dataclass(frozen=True)
class IntentPolicy:
    """One intent's rules, as stored on its ``Intent`` row."""

    name: str
    primary_action: str
    priority_class: str = Intent.PriorityClass.NORMAL
    updates_crm: bool = False
    schedules_follow_up: bool = False
    crm_stage: str = ""
    sentiment_override: str = ""
    plausible_when_angry: bool = True
    answer_source: str = Intent.AnswerSource.KNOWLEDGE
    knowledge_categories: tuple[str, ...] = ()
    standing_queries: dict[str, str] = field(default_factory=dict)
    reply_frames: dict[str, dict[str, str]] = field(default_factory=dict)

    def frame(self, language: str) -> dict[str, str]:
        """The opener and closer for a language; empty when staff wrote none for it."""
        return dict(self.reply_frames.get(language) or {})


# An intent the table does not know (deleted or renamed mid-turn): a person decides.
UNKNOWN_INTENT_POLICY = IntentPolicy(name="", primary_action=Action.FLAG_FOR_HUMAN_REVIEW)


# This process's last read policies and the digest of exactly those rows.
_cached_policies: tuple[str, dict[str, IntentPolicy]] | None = None


def _read_policies() -> tuple[str, dict[str, IntentPolicy]]:
    """The active intents' policies and their digest, read in one statement (so they agree)."""
    rows = (
        Intent.objects.filter(is_active=True)
        .annotate(digest=RawSQL(policies_digest_sql(), ()))
        .values("name", "digest", *INTENT_POLICY_FIELDS)
    )
    digest, policies = "", {}
    for row in rows:
        digest = row.pop("digest")
        row["knowledge_categories"] = tuple(row["knowledge_categories"] or ())
        row["standing_queries"] = dict(row["standing_queries"] or {})
        row["reply_frames"] = dict(row["reply_frames"] or {})
        policies[row["name"]] = IntentPolicy(**row)
    return digest, policies


def intent_policies(version: IntentsVersion | None = None) -> dict[str, IntentPolicy]:
    """Every active intent's policy, by name.

    ``version`` is the intents' version the caller has just read (``reference_data``): when this
    process last read the policies that version's digest stands for, they are reused; else they are
    read (one query) and kept under the digest read with them. Without ``version`` they are read.
    """
    global _cached_policies
    cached = _cached_policies
    if version is not None and cached is not None and cached[0] == version.policies:
        return dict(cached[1])
    digest, policies = _read_policies()
    if digest:
        _cached_policies = (digest, policies)
    return dict(policies)


@dataclass
class Decision:
    """What the policy made of a judgement."""

    sentiment: str
    priority: str
    next_steps: list[NextStep]


@dataclass
class TurnFacts:
    """What the policy needs to know about a turn besides the brain's judgement."""

    intent: str
    sentiment: str
    confidence: float
    entities: list[str]
    draft: str
    grounded: bool
    language: str
    prospect: ProspectRecord | None
    prospect_id: str | None
    # Reasons for a person to review, found by the evidence (risky requests, unanswerable
    # questions, no knowledge in the prospect's language) and by the brain itself.
    review_reasons: list[str] = field(default_factory=list)
    # Secondary actions the brain suggests (the model may); the policy decides which stand.
    suggested_actions: list[str] = field(default_factory=list)
    # Other intents the message touches besides ``intent`` (the evidence's multi-intent reading).
    secondary_intents: list[str] = field(default_factory=list)


def effective_sentiment(policy: IntentPolicy, sentiment: str) -> str:
    return policy.sentiment_override or sentiment


def choose_priority(policy: IntentPolicy, sentiment: str, prospect: ProspectRecord | None) -> str:
    """High for complaints, buying signals and unhappy qualified or hot leads; low for small talk."""
    lead_score = prospect.lead_score if prospect else 0
    if policy.priority_class == Intent.PriorityClass.HIGH:
        return "high"
    if policy.priority_class == Intent.PriorityClass.LOW:
        return "low"
    if sentiment == "negative" and lead_score >= QUALIFIED_LEAD_SCORE:
        return "high"
    if policy.priority_class == Intent.PriorityClass.HOT_LEAD and lead_score >= HOT_LEAD_SCORE:
        return "high"
    return "medium"


def draft_language_mismatch(draft: str, language: str) -> str | None:
    """Why the draft is not in the prospect's language, or None when it is (or is too short to tell)."""
    if len(draft.split()) < MIN_WORDS_TO_CHECK_LANGUAGE:
        return None
    written_in, probability = classify_language(draft)
    if written_in == language or probability < LANGUAGE_CHECK_CONFIDENCE:
        return None
    return f"the prospect wrote in {language_name(language)} but the draft is in {language_name(written_in)}"


def review_reasons(facts: TurnFacts, policy: IntentPolicy) -> list[str]:
    """Every reason a person should check this turn before anything is sent."""
    reasons = list(facts.review_reasons)
    threshold = settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD
    if facts.confidence < threshold:
        reasons.append(f"confidence {facts.confidence:.2f} below {threshold:.2f}")
    if not facts.grounded and policy.answer_source == Intent.AnswerSource.KNOWLEDGE:
        reasons.append("no knowledge-base sentence answers this; the draft only promises a follow-up")
    mismatch = draft_language_mismatch(facts.draft, facts.language)
    if mismatch:
        reasons.append(mismatch)
    return list(dict.fromkeys(reasons))


def also_touched(
    facts: TurnFacts, policy: IntentPolicy, policies: dict[str, IntentPolicy]
) -> list[IntentPolicy]:
    """The policies of the other intents the message touches that call for a step of their own: none
    when the prospect asked us to stop, and never small talk or another "stop"."""
    if policy.name == NOT_INTERESTED:
        return []
    return [
        policies[name]
        for name in facts.secondary_intents
        if name in policies
        and name not in (facts.intent, NOT_INTERESTED)
        and policies[name].priority_class != Intent.PriorityClass.LOW
    ]


def plan_next_steps(
    facts: TurnFacts, policy: IntentPolicy, also: Sequence[IntentPolicy] = ()
) -> list[NextStep]:
    """The intent's primary action first, the primary actions of the other intents the message touches
    (``also``), then the secondary actions this turn calls for.

    CREATE_LEAD follows from the CRM lookup alone; UPDATE_CRM and SCHEDULE_FOLLOW_UP from the intent's
    policy or the brain's suggestion; FLAG_FOR_HUMAN_REVIEW from every review reason.
    """
    about = f" ({', '.join(facts.entities[:3])})" if facts.entities else ""
    steps = [NextStep(policy.primary_action, f"{facts.intent.replace('_', ' ')}{about}")]
    for other in also:
        if all(step.action != other.primary_action for step in steps):
            steps.append(
                NextStep(other.primary_action, f"the message also touches {other.name.replace('_', ' ')}")
            )
    if facts.prospect is None:
        who = (
            f"prospect id {facts.prospect_id!r} is unknown to the CRM"
            if facts.prospect_id
            else "no prospect id was given"
        )
        steps.append(NextStep(Action.CREATE_LEAD, who))
    elif policy.updates_crm or Action.UPDATE_CRM in facts.suggested_actions:
        # The stage the intent moves the prospect to, when that is forward (crm/stages.py).
        stage = policy.crm_stage if stage_advances(facts.prospect.stage, policy.crm_stage) else ""
        steps.append(
            NextStep(
                Action.UPDATE_CRM,
                f"record {facts.intent.replace('_', ' ')} on {facts.prospect.prospect_id}",
                {"stage": stage} if stage else {},
            )
        )
    if policy.schedules_follow_up or Action.SCHEDULE_FOLLOW_UP in facts.suggested_actions:
        steps.append(NextStep(Action.SCHEDULE_FOLLOW_UP, "keep the conversation moving"))
    reasons = review_reasons(facts, policy)
    if reasons:
        steps.append(NextStep(Action.FLAG_FOR_HUMAN_REVIEW, "; ".join(reasons), {"reasons": reasons}))
    return steps


def decide(facts: TurnFacts, policies: dict[str, IntentPolicy]) -> Decision:
    """Sentiment, priority and next steps for a judged turn."""
    policy = policies.get(facts.intent, UNKNOWN_INTENT_POLICY)
    sentiment = effective_sentiment(policy, facts.sentiment)
    facts.sentiment = sentiment
    return Decision(
        sentiment=sentiment,
        priority=choose_priority(policy, sentiment, facts.prospect),
        next_steps=plan_next_steps(facts, policy, also_touched(facts, policy, policies)),
    )
