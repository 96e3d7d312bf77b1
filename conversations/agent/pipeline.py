"""One turn of the agent: pick the brain, run it, fall back when the model fails, guard the draft.

``AGENT_BRAIN=auto`` uses the model brain when a model endpoint is configured and the local brain
otherwise; ``openai`` asks for the model explicitly. Whenever the model path fails, the local brain
answers, ``degraded`` is set and the reason is in the reasoning trace and the tool log.
"""

from __future__ import annotations

from time import perf_counter

from django.conf import settings

from conversations.agent.grounding import enforce_grounding
from conversations.agent.local_brain import run_local_brain
from conversations.agent.model_brain import ModelBrainFailed, model_configured, run_model_brain
from conversations.agent.types import ToolCall, TurnInput, TurnResult
from crm.client import CRMClient, get_crm_client

BRAINS = ("auto", "local", "openai")


class UnknownBrain(ValueError):
    """The requested brain is not one of :data:`BRAINS`."""


def _local_fallback(turn: TurnInput, crm: CRMClient, reason: str, attempted: list[ToolCall]) -> TurnResult:
    result = run_local_brain(turn, crm=crm)
    result.degraded = True
    result.reasoning.insert(0, f"Model brain unavailable ({reason}); the local brain answered.")
    fallback = ToolCall(
        "model_fallback", {"reason": reason}, False, 0.0, "local brain answered", error=reason
    )
    result.tool_log = [*attempted, fallback, *result.tool_log]
    return result


def run_turn(turn: TurnInput, *, brain: str | None = None, crm: CRMClient | None = None) -> TurnResult:
    """Analyse one prospect message and propose a reply and next steps."""
    started = perf_counter()
    requested = brain or settings.AGENT_BRAIN
    if requested not in BRAINS:
        raise UnknownBrain(f"unknown brain {requested!r}; expected one of {', '.join(BRAINS)}")
    crm = crm or get_crm_client()
    if requested == "local" or (requested == "auto" and not model_configured()):
        result = run_local_brain(turn, crm=crm)
    elif not model_configured():
        result = _local_fallback(turn, crm, "no model endpoint is configured", [])
    else:
        try:
            result = run_model_brain(turn, crm=crm)
        except ModelBrainFailed as failure:
            result = _local_fallback(turn, crm, failure.reason, failure.tool_log)
    result = enforce_grounding(result)
    result.latency_ms = (perf_counter() - started) * 1000
    return result
