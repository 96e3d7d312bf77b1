"""Plain data passed between the pipeline's steps and the brains."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from crm.client import ProspectRecord
from knowledge.search import SearchResult


@dataclass(frozen=True)
class HistoryMessage:
    sender: str
    content: str
    timestamp: datetime | None = None


@dataclass
class TurnInput:
    message: str
    history: list[HistoryMessage] = field(default_factory=list)
    prospect_id: str | None = None

    def last_from(self, sender: str) -> str:
        for item in reversed(self.history):
            if item.sender == sender:
                return item.content
        return ""


@dataclass
class ToolCall:
    tool: str
    input: dict[str, Any]
    ok: bool
    latency_ms: float
    output_summary: str = ""
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["latency_ms"] = round(self.latency_ms, 2)
        if not self.error:
            data.pop("error")
        return data


@dataclass
class NextStep:
    action: str
    reason: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"action": str(self.action), "details": {"reason": self.reason, **self.extra}}


@dataclass
class TurnResult:
    """Everything the agent concluded for one prospect message."""

    intent: str
    sentiment: str
    entities: list[str]
    key_points: list[str]
    priority: str
    confidence: float
    draft: str
    next_steps: list[NextStep]
    knowledge: list[SearchResult]
    citations: list[int]
    prospect: ProspectRecord | None
    tool_log: list[ToolCall]
    reasoning: list[str]
    brain: str
    model_name: str
    degraded: bool = False
    # Why the model brain did not answer when it was asked to (the local brain answered instead).
    fallback_reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    # The prompt template version and estimated cost of the model call (model brain only).
    prompt_version: str = ""
    cost_usd: float = 0.0
    # Claims the grounding guard found unbacked by the retrieved chunks or CRM data.
    unsupported_claims: list[str] = field(default_factory=list)
    # The language the prospect wrote in (ISO 639-1) and the questions the message was split into.
    language: str = "en"
    questions: list[str] = field(default_factory=list)
    # Text the draft may state because a deterministic tool computed it (a quote's figures), as the
    # tool log records them; the grounding guard accepts it like a retrieved chunk.
    tool_evidence: list[str] = field(default_factory=list)
    # The trained reader that read the message (its version), and how likely it found the message out
    # of scope; None when no reader is trained.
    reader_version: int | None = None
    out_of_scope_probability: float | None = None
    # Every intent the message touches, the primary one first.
    intents: list[str] = field(default_factory=list)

    @property
    def review_reasons(self) -> list[str]:
        return [step.reason for step in self.next_steps if step.action == "FLAG_FOR_HUMAN_REVIEW"]

    @property
    def primary_action(self) -> str:
        return self.next_steps[0].action if self.next_steps else ""

    @property
    def reasoning_trace(self) -> str:
        return "\n".join(f"{number}. {step}" for number, step in enumerate(self.reasoning, start=1))
