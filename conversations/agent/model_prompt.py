"""The model brain's prompts: versioned template files rendered with the turn's data as delimited blocks.

Templates live in ``prompts/<version>/`` (``string.Template`` syntax, so JSON braces need no escaping).
Knowledge-base text, CRM fields and prospect messages go inside ``<knowledge_base>``, ``<crm_record>``,
``<conversation>`` and ``<current_message>`` blocks with ``<`` and ``>`` escaped, so nothing in the
data can close a block and pose as instructions; the system prompt says the blocks are data.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

from django.conf import settings

from company.vocabulary import Vocabulary
from conversations.agent.evidence import Evidence
from conversations.agent.model_output import SECONDARY_ACTIONS, IntentOption
from conversations.agent.types import HistoryMessage, TurnInput
from crm.client import ProspectRecord
from knowledge.languages import language_name
from knowledge.search import SearchResult

PROMPT_VERSION = "turn-v2"
PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"


@cache
def _template(version: str, name: str) -> Template:
    return Template((PROMPTS_DIR / version.replace("-", "_") / name).read_text())


def render(name: str, **values: object) -> str:
    """Render one template file of the current prompt version."""
    return _template(PROMPT_VERSION, name).substitute(values).strip()


@cache
def _tool_file() -> str:
    return (PROMPTS_DIR / PROMPT_VERSION.replace("-", "_") / "tools.json").read_text()


def tool_definitions(vocabulary: Vocabulary) -> list[dict[str, Any]]:
    """The ``tools`` argument: the function tools the model may call (from the version's tools.json),
    with the price book's plans and segments as the quote tool's choices and its unit in the text."""
    tools: list[dict[str, Any]] = json.loads(_tool_file())
    for tool in tools:
        function = tool["function"]
        if function["name"] != "quote_price":
            continue
        properties = function["parameters"]["properties"]
        if vocabulary.plan_names:
            properties["plan"]["enum"] = list(vocabulary.plan_names)
        properties["segment"]["enum"] = [segment.segment for segment in vocabulary.segments] + [None]
        one, many = vocabulary.unit
        properties["seats"]["description"] = f"How many {many} (1 or more); the plans are priced per {one}."
    return tools


def escape_data(text: str) -> str:
    """Make ``text`` safe inside a delimited block: without ``<`` it cannot open or close a tag."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: object) -> str:
    return escape_data(str(value)).replace('"', "&quot;")


def format_chunks(results: list[SearchResult]) -> str:
    """Knowledge-base chunks, one ``<chunk id=...>`` element each, for a prompt or a tool result."""
    if not results:
        return "(no matching chunks)"
    return "\n".join(
        f'<chunk id="{r.chunk_id}" document="{_attribute(r.document_slug)}" '
        f'title="{_attribute(r.document_title)}" section="{_attribute(r.heading_path)}">\n'
        f"{escape_data(r.text.strip())}\n</chunk>"
        for r in results
    )


def format_prospect(prospect: ProspectRecord | None, prospect_id: str | None, *, lookup_ok: bool) -> str:
    """The CRM record as JSON, or a sentence saying why there is none."""
    if prospect is not None:
        return escape_data(json.dumps(prospect.as_dict(), ensure_ascii=False, default=str, indent=1))
    if not prospect_id:
        return "(no prospect id was given: an unknown prospect)"
    if not lookup_ok:
        return f"(the CRM could not be reached for prospect id {escape_data(prospect_id)!r})"
    return f"(prospect id {escape_data(prospect_id)!r} is unknown to the CRM: a new lead)"


def format_history(history: list[HistoryMessage]) -> str:
    if not history:
        return "(no earlier messages)"
    return "\n".join(
        f'<message sender="{_attribute(item.sender)}"'
        + (f' time="{item.timestamp.isoformat()}"' if item.timestamp else "")
        + f">{escape_data(item.content)}</message>"
        for item in history
    )


def _outline(schema: dict[str, Any]) -> str:
    """A compact picture of a value of ``schema``: enums as ``a|b``, limits in words."""
    kind = schema.get("type")
    if "enum" in schema:
        return '"' + "|".join(str(value) for value in schema["enum"]) + '"'
    if kind == "object":
        fields = ", ".join(f'"{key}": {_outline(sub)}' for key, sub in schema.get("properties", {}).items())
        return "{" + fields + "}"
    if kind == "array":
        limit = f" (at most {schema['maxItems']})" if "maxItems" in schema else ""
        return f"[{_outline(schema.get('items', {}))}, ...{limit}]"
    if kind == "string":
        limit = f", at most {schema['maxLength']} characters" if "maxLength" in schema else ""
        return f'"<{schema.get("description", "text")}{limit}>"'
    if kind in ("number", "integer"):
        low, high = schema.get("minimum"), schema.get("maximum")
        return f"<{kind}{f' from {low} to {high}' if low is not None and high is not None else ''}>"
    return "<value>"


def schema_outline(schema: dict[str, Any]) -> str:
    """The answer's shape, one key per line, for servers that are not given the JSON schema itself."""
    lines = [f'  "{key}": {_outline(sub)}' for key, sub in schema.get("properties", {}).items()]
    return "{\n" + ",\n".join(lines) + "\n}"


def system_prompt(intents: list[IntentOption], *, schema: dict[str, Any] | None = None) -> str:
    """The system prompt; with ``schema``, it also spells out the JSON object (JSON mode, prompt-only)."""
    text = render(
        "system.md",
        intents="\n".join(f"- {i.name}: {i.description} ({i.primary_action})" for i in intents),
        secondary_actions="\n".join(f"- {name}: {text}" for name, text in SECONDARY_ACTIONS.items()),
        review_threshold=f"{settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD:.2f}",
    )
    if schema is None:
        return text
    return text + "\n\n" + render("json_shape.md", outline=schema_outline(schema))


def format_questions(questions: list[str]) -> str:
    if len(questions) <= 1:
        return "(one question: the current message)"
    return "\n".join(f"{number}. {escape_data(text)}" for number, text in enumerate(questions, start=1))


def user_prompt(turn: TurnInput, *, evidence: Evidence, quote: str) -> str:
    return render(
        "user.md",
        crm_record=format_prospect(evidence.prospect, turn.prospect_id, lookup_ok=evidence.crm_ok),
        knowledge_base=format_chunks(evidence.knowledge),
        conversation=format_history(turn.history),
        current_message=escape_data(turn.message),
        questions=format_questions([question.text for question in evidence.questions]),
        quote=escape_data(quote) if quote else "(no quote was asked for)",
        reply_language=f"{evidence.language.code} ({language_name(evidence.language.code)})",
    )


def initial_messages(
    turn: TurnInput,
    *,
    intents: list[IntentOption],
    evidence: Evidence,
    quote: str = "",
    schema: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The system and user messages of a turn's first model call (``schema``: see :func:`system_prompt`)."""
    return [
        {"role": "system", "content": system_prompt(intents, schema=schema)},
        {"role": "user", "content": user_prompt(turn, evidence=evidence, quote=quote)},
    ]


def format_repair(error: str) -> str:
    return render("repair_format.md", error=error)


def cut_repair(max_tokens: int, *, entities: int, key_points: int) -> str:
    return render("repair_cut.md", max_tokens=max_tokens, entities=entities, key_points=key_points)


def quality_repair(problems: list[str]) -> str:
    return render("repair_quality.md", problems="; ".join(problems))


def grounding_repair(claims: list[str]) -> str:
    return render("repair_grounding.md", claims=", ".join(f'"{claim}"' for claim in claims))


def tool_result_chunks(results: list[SearchResult]) -> str:
    return f"<knowledge_base>\n{format_chunks(results)}\n</knowledge_base>"


def tool_result_prospect(prospect: ProspectRecord | None, prospect_id: str, *, lookup_ok: bool) -> str:
    return f"<crm_record>\n{format_prospect(prospect, prospect_id, lookup_ok=lookup_ok)}\n</crm_record>"


def tool_result_quote(quote: dict[str, Any]) -> str:
    return f"<quote>\n{escape_data(json.dumps(quote, ensure_ascii=False))}\n</quote>"
