"""One turn of the agent: gather the evidence, let a brain judge it, apply the policy, guard the draft.

``AGENT_BRAIN=auto`` uses the model brain when a model endpoint is configured and the local brain
otherwise; ``openai`` asks for the model explicitly. Whenever the model path fails, the local brain
judges the same evidence, ``degraded`` is set and the reason is in the reasoning trace and the tool
log. Next steps, priority and review flags come from the shared policy, whichever brain judged.
"""

from __future__ import annotations

from time import perf_counter

from django.conf import settings

from conversations.agent.brain import Judgement
from conversations.agent.evidence import Evidence, gather_evidence
from conversations.agent.grounding import enforce_grounding
from conversations.agent.local_brain import LocalBrain
from conversations.agent.model_brain import ModelBrain, ModelBrainFailed, estimated_cost, model_configured
from conversations.agent.policy import IntentPolicy, TurnFacts, decide, intent_policies
from conversations.agent.reference_data import reference_data
from conversations.agent.types import ToolCall, TurnInput, TurnResult
from crm.client import CRMClient, get_crm_client

BRAINS = ("auto", "local", "openai")


class UnknownBrain(ValueError):
    """The requested brain is not one of :data:`BRAINS`."""


def _judge(
    requested: str, turn: TurnInput, evidence: Evidence, policies: dict[str, IntentPolicy]
) -> tuple[Judgement, str]:
    """The judgement and, when the model path failed, why (the local brain judged instead)."""
    if requested == "local" or (requested == "auto" and not model_configured()):
        return LocalBrain().judge(turn, evidence, policies), ""
    if evidence.out_of_scope:
        # Nothing of the company's to answer: the local brain's holding reply, not a model's product answer.
        judgement = LocalBrain().judge(turn, evidence, policies)
        judgement.reasoning.insert(
            0, "Out of scope: the local brain's holding reply; the model was not asked."
        )
        return judgement, ""
    spent = (0, 0)
    if not model_configured():
        reason, attempted = "no model endpoint is configured", []
    else:
        try:
            return ModelBrain().judge(turn, evidence, policies), ""
        except ModelBrainFailed as failure:
            reason, attempted = failure.reason, failure.tool_log
            spent = (failure.prompt_tokens, failure.completion_tokens)
    judgement = LocalBrain().judge(turn, evidence, policies)
    if model_configured():
        # The failed model attempts cost tokens too: the turn's usage counts them.
        judgement.prompt_tokens, judgement.completion_tokens = spent
        judgement.cost_usd = estimated_cost(*spent)
    fallback = ToolCall(
        "model_fallback", {"reason": reason}, False, 0.0, "local brain answered", error=reason
    )
    judgement.tool_log = [*attempted, fallback, *judgement.tool_log]
    return judgement, reason


def run_turn(turn: TurnInput, *, brain: str | None = None, crm: CRMClient | None = None) -> TurnResult:
    """Analyse one prospect message and propose a reply and next steps."""
    started = perf_counter()
    requested = brain or settings.AGENT_BRAIN
    if requested not in BRAINS:
        raise UnknownBrain(f"unknown brain {requested!r}; expected one of {', '.join(BRAINS)}")
    # One query for what staff may have edited since the last turn; the rest comes from caches
    # that this tells whether they are current.
    reference = reference_data()
    policies = intent_policies(reference.intents_version)
    evidence = gather_evidence(turn, crm=crm or get_crm_client(), policies=policies, reference=reference)
    judgement, fallback_reason = _judge(requested, turn, evidence, policies)
    facts = TurnFacts(
        intent=judgement.intent,
        sentiment=judgement.sentiment,
        confidence=judgement.confidence,
        entities=judgement.entities,
        draft=judgement.draft,
        grounded=judgement.grounded,
        language=judgement.language,
        prospect=evidence.prospect,
        prospect_id=turn.prospect_id,
        review_reasons=[*evidence.findings, *judgement.review_reasons],
        suggested_actions=judgement.suggested_actions,
        secondary_intents=evidence.secondary_intents,
    )
    decision = decide(facts, policies)
    knowledge = evidence.knowledge
    known = {result.chunk_id for result in knowledge}
    knowledge.extend(result for result in judgement.extra_knowledge if result.chunk_id not in known)
    result = TurnResult(
        intent=judgement.intent,
        sentiment=decision.sentiment,
        entities=judgement.entities,
        key_points=judgement.key_points,
        priority=decision.priority,
        confidence=judgement.confidence,
        draft=judgement.draft,
        next_steps=decision.next_steps,
        knowledge=knowledge,
        citations=judgement.citations,
        prospect=evidence.prospect,
        tool_log=[*evidence.tool_log, *judgement.tool_log],
        reasoning=[
            *(
                [f"Model brain unavailable ({fallback_reason}); the local brain answered."]
                if fallback_reason
                else []
            ),
            *evidence.reasoning,
            *judgement.reasoning,
        ],
        brain=judgement.brain,
        model_name=judgement.model_name,
        degraded=bool(fallback_reason),
        fallback_reason=fallback_reason,
        prompt_tokens=judgement.prompt_tokens,
        completion_tokens=judgement.completion_tokens,
        prompt_version=judgement.prompt_version,
        cost_usd=judgement.cost_usd,
        language=judgement.language,
        questions=[question.text for question in evidence.questions],
        tool_evidence=judgement.tool_evidence,
        reader_version=evidence.index.reader.version if evidence.index.reader else None,
        out_of_scope_probability=evidence.out_of_scope_probability,
        intents=list(dict.fromkeys(name for name in [judgement.intent, *evidence.secondary_intents] if name)),
    )
    result.reasoning.append(
        f"Confidence {result.confidence:.2f}; priority {result.priority}; "
        f"next steps {', '.join(step.action for step in result.next_steps)}."
    )
    result = enforce_grounding(result)
    result.latency_ms = (perf_counter() - started) * 1000
    return result
