"""What every turn against a real server must show, whatever a small model answers: a schema-valid
model answer within the time budget, or a fallback that names its cause precisely."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command

from conversations.agent.model_client import turn_budget_seconds

URL = "/api/process_message"
# Every way the model path may end in a fallback, each with its cause in the reason.
FALLBACK_CAUSES = re.compile(
    r"^(timeout after \d+ attempts of [\d.]+ s"
    r"|HTTP \d{3} from the model: .+"
    r"|HTTP \d{3} from the model after \d+ attempts: .+"
    r"|connection error after \d+ attempts: .+"
    r"|[\w ]+; no time left for a retry: .+"
    r"|[\w ]+; the server asked to wait \d+ s: .+"
    r"|model time budget of \d+ s used up"
    r"|invalid output after repair: .+"
    r"|invalid output \(.+\); the repaired answer was cut at the \d+-token limit .+"
    r"|the answer was cut at the \d+-token limit \(finish_reason length\), and again .+"
    r"|unusable answer.+"
    r"|the model refused: .+)$"
)
# The deadline is checked before each attempt and handed to the HTTP client as its timeout; the
# client's own bookkeeping (connection, parsing the error) may add a few milliseconds on top.
BUDGET_SLACK_MS = 500
TOKENS = re.compile(r"(\d+)\+(\d+) tokens")


def post_turn(client, message: str, prospect_id: str = "prospect_005") -> dict[str, Any]:
    response = client.post(
        URL, {"current_prospect_message": message, "prospect_id": prospect_id}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def model_calls(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [call for call in data["tool_usage_log"] if call["tool"] == "model"]


def first_prompt_tokens(data: dict[str, Any]) -> int:
    found = TOKENS.search(model_calls(data)[0]["output_summary"])
    assert found, model_calls(data)[0]
    return int(found.group(1))


def fallback_reason(data: dict[str, Any]) -> str:
    entries = [call for call in data["tool_usage_log"] if call["tool"] == "model_fallback"]
    return entries[0]["error"] if entries else ""


def assert_turn_contract(data: dict[str, Any], *, model: str) -> None:
    """A model answer within the budget, or a fallback naming its cause."""
    spent_ms = sum(call["latency_ms"] for call in model_calls(data))
    assert spent_ms <= turn_budget_seconds() * 1000 + BUDGET_SLACK_MS, (
        f"the model calls took {spent_ms:.0f} ms"
    )
    if data["degraded"]:
        reason = fallback_reason(data)
        assert FALLBACK_CAUSES.match(reason), f"imprecise fallback reason: {reason!r}"
        assert data["brain"] == "local"
    else:
        assert (data["brain"], data["model"]) == ("openai", model)
        assert data["suggested_response_draft"].strip()
        assert 0.0 <= data["confidence_score"] <= 1.0


# Each model turn takes 15-30 s on two cores: five cases prove the eval contract; the figures of all
# ten (docs/model-brain.md) come from the same command without --limit.
EVAL_CASES = 5


def run_eval_report(name: str) -> dict[str, Any]:
    """The first cases of the bundled seed dataset through ``run_eval --brain openai``; the JSON report."""
    path = Path(settings.BASE_DIR) / "var" / "llm-eval" / f"{name}.json"
    call_command(
        "run_eval",
        "--dataset",
        "seed_golden_dataset",
        "--limit",
        str(EVAL_CASES),
        "--brain",
        "openai",
        "--json",
        str(path),
    )
    return json.loads(path.read_text())


def assert_eval_contract(report: dict[str, Any], *, model: str) -> None:
    """Every case answered by the model or fallen back with a precise reason, none skipped."""
    breakdown = report["answered_by"]
    assert report["cases"] == EVAL_CASES
    assert breakdown["breaker_skips"] == 0
    assert breakdown["model_answered"] + breakdown["fallback"] == EVAL_CASES
    for case in report["per_case"]:
        predicted = case["predicted"]
        if predicted["degraded"]:
            assert FALLBACK_CAUSES.match(predicted["fallback_reason"]), predicted["fallback_reason"]
        else:
            assert predicted["model"] == model
    assert report["usage"]["prompt_tokens"] > 0
    if breakdown["model_answered"]:
        assert report["model"] == model
