"""What a brain is: something that judges a turn from its gathered evidence.

The local brain and the model brain both return a :class:`Judgement` (intent, sentiment, language,
entities, draft, citations, confidence, their own review reasons). Neither decides next steps,
priority or flags: the shared policy does (``policy.py``), then the grounding guard checks the draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from conversations.agent.evidence import Evidence
from conversations.agent.policy import IntentPolicy
from conversations.agent.types import ToolCall, TurnInput
from knowledge.search import SearchResult


@dataclass
class Judgement:
    intent: str
    sentiment: str
    language: str
    entities: list[str]
    key_points: list[str]
    draft: str
    citations: list[int]
    confidence: float
    brain: str
    model_name: str
    reasoning: list[str] = field(default_factory=list)
    # Why the brain itself thinks a person should check the turn, and secondary actions it suggests.
    review_reasons: list[str] = field(default_factory=list)
    suggested_actions: list[str] = field(default_factory=list)
    # Whether the draft answers from the knowledge base (or only promises a follow-up).
    grounded: bool = True
    # Calls the brain made itself (model calls, tools it asked for) and chunks it fetched that way.
    tool_log: list[ToolCall] = field(default_factory=list)
    extra_knowledge: list[SearchResult] = field(default_factory=list)
    # Text a deterministic tool produced that the draft may state (a quote's figures).
    tool_evidence: list[str] = field(default_factory=list)
    prompt_version: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class Brain(Protocol):
    name: str

    def judge(self, turn: TurnInput, evidence: Evidence, policies: dict[str, IntentPolicy]) -> Judgement:
        """Judge one turn from its evidence."""
