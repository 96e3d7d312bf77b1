"""An analysed turn as people read it in the admin: next steps, tool calls and CRM data as table rows.

The stored JSON (``ActionableOutput.next_steps``, ``tool_usage_log``, ``crm_snapshot``) is shaped for
the API; these functions turn it into rows and labelled fields for templates, with booleans as
"Yes"/"No" text. The conversation page and the review page (``reviews/admin.py``) both use them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from conversations.models import ActionableOutput, AnalysisResult, Conversation, Message

CRM_FIELD_LABELS = {
    "prospect_id": "Prospect id",
    "name": "Name",
    "email": "Email",
    "company": "Company",
    "industry": "Industry",
    "employees": "Employees",
    "lead_score": "Lead score",
    "stage": "Stage",
    "technologies": "Technologies",
    "notes": "Notes",
    "last_contacted_at": "Last contacted",
}


def yes_no(value: object) -> str:
    """A boolean as text: the admin's red cross for False reads as an error, which it is not."""
    return "Yes" if value else "No"


def display_text(value: Any) -> str:
    """A stored JSON value as text for a table cell: empty as a dash, booleans as Yes/No, lists
    comma-separated, objects as "key: value" pairs (the CRM proposal admin's tables use it too)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list):
        return ", ".join(display_text(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {display_text(item)}" for key, item in value.items())
    return str(value)


@dataclass(frozen=True)
class NextStepRow:
    action: str
    reason: str
    details: str


def next_step_rows(next_steps: Any) -> list[NextStepRow]:
    rows = []
    for step in next_steps or []:
        if not isinstance(step, dict):
            continue
        details = dict(step.get("details") or {}) if isinstance(step.get("details"), dict) else {}
        reason = str(details.pop("reason", ""))
        details.pop("reasons", None)  # the same reasons, already joined into ``reason``
        shown = display_text(details) if details else ""
        rows.append(NextStepRow(str(step.get("action", "")), reason, shown))
    return rows


@dataclass(frozen=True)
class ToolCallRow:
    tool: str
    input: str
    ok: str
    latency_ms: str
    result: str


def tool_call_rows(tool_log: Any) -> list[ToolCallRow]:
    rows = []
    for call in tool_log or []:
        if not isinstance(call, dict):
            continue
        arguments = call.get("input") or {}
        rows.append(
            ToolCallRow(
                tool=str(call.get("tool", "")),
                input=", ".join(f"{key}={json.dumps(value)}" for key, value in arguments.items())
                if isinstance(arguments, dict)
                else display_text(arguments),
                ok=yes_no(call.get("ok")),
                latency_ms=f"{float(call.get('latency_ms') or 0):.0f} ms",
                result=str(call.get("error") or call.get("output_summary") or ""),
            )
        )
    return rows


def crm_fields(snapshot: Any) -> list[tuple[str, str]]:
    """The CRM record the turn read, as (label, value) pairs in a fixed order."""
    if not isinstance(snapshot, dict):
        return []
    known = [
        (label, display_text(snapshot.get(key))) for key, label in CRM_FIELD_LABELS.items() if key in snapshot
    ]
    extra = [(key, display_text(value)) for key, value in snapshot.items() if key not in CRM_FIELD_LABELS]
    return known + extra


@dataclass(frozen=True)
class TurnView:
    """One analysed turn, ready for a template."""

    analysis: AnalysisResult
    output: ActionableOutput | None
    next_steps: list[NextStepRow]
    tool_calls: list[ToolCallRow]
    crm: list[tuple[str, str]]
    degraded: str
    action_required: str


def turn_view(analysis: AnalysisResult) -> TurnView:
    output: ActionableOutput | None = getattr(analysis, "output", None)
    return TurnView(
        analysis=analysis,
        output=output,
        next_steps=next_step_rows(output.next_steps if output else []),
        tool_calls=tool_call_rows(output.tool_usage_log if output else []),
        crm=crm_fields(output.crm_snapshot if output else None),
        degraded=yes_no(output and output.degraded),
        action_required=yes_no(analysis.action_required),
    )


@dataclass(frozen=True)
class TimelineEntry:
    message: Message
    turns: list[TurnView]


def conversation_timeline(conversation: Conversation) -> list[TimelineEntry]:
    """Every message in order, each prospect message with the analyses that answer it (two queries)."""
    analyses = (
        AnalysisResult.objects.filter(conversation=conversation).select_related("output").order_by("id")
    )
    by_message: dict[int, list[TurnView]] = {}
    for analysis in analyses:
        by_message.setdefault(analysis.message_id, []).append(turn_view(analysis))
    messages = Message.objects.filter(conversation=conversation).order_by("timestamp", "id")
    return [TimelineEntry(message, by_message.get(message.pk, [])) for message in messages]
