"""One turn of the agent: pick the brain, run it, and return what it concluded.

Issue #4 adds the model brain here; until then every turn is answered by the local brain, and
``brain`` values other than ``local`` degrade to it with the reason in the trace.
"""

from __future__ import annotations

from time import perf_counter

from django.conf import settings

from conversations.agent.local_brain import run_local_brain
from conversations.agent.types import TurnInput, TurnResult
from crm.client import CRMClient, get_crm_client

BRAINS = ("auto", "local", "openai")


class UnknownBrain(ValueError):
    """The requested brain is not one of :data:`BRAINS`."""


def run_turn(turn: TurnInput, *, brain: str | None = None, crm: CRMClient | None = None) -> TurnResult:
    """Analyse one prospect message and propose a reply and next steps."""
    started = perf_counter()
    requested = brain or settings.AGENT_BRAIN
    if requested not in BRAINS:
        raise UnknownBrain(f"unknown brain {requested!r}; expected one of {', '.join(BRAINS)}")
    result = run_local_brain(turn, crm=crm or get_crm_client())
    if requested == "openai":
        result.degraded = True
        result.reasoning.insert(
            0, "The model brain is not available in this version; the local brain answered."
        )
    result.latency_ms = (perf_counter() - started) * 1000
    return result
