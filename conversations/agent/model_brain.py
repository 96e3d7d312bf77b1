"""The model brain: an OpenAI-compatible chat model with tool calling and structured output.

Used when ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` is configured. The pipeline's evidence (knowledge
search per question, CRM record, quote, language) goes into the prompt, so the common turn is one
round-trip; the model may still call tools (``OPENAI_MAX_TOOL_ROUNDS`` rounds). Its answer is
validated against the schema, with one repair attempt for invalid output and one for claims the
evidence does not back. It returns a judgement only: next steps and flags come from the shared
policy. Any failure it cannot recover from raises :class:`ModelBrainFailed`, and the pipeline answers
with the local brain.
"""

from __future__ import annotations

import json
import logging
from time import perf_counter
from typing import Any

from django.conf import settings

from conversations.agent import model_prompt
from conversations.agent.brain import Judgement
from conversations.agent.breaker import (
    CircuitOpen,
    breaker_check,
    breaker_record_failure,
    breaker_record_success,
)
from conversations.agent.evidence import Evidence
from conversations.agent.grounding import find_unsupported_claims
from conversations.agent.model_client import (
    Deadline,
    ModelCallFailed,
    create_completion,
    turn_budget_seconds,
)
from conversations.agent.model_output import (
    InvalidOutput,
    ModelAnswer,
    answer_schema,
    intent_options,
    parse_answer,
    response_format,
)
from conversations.agent.policy import IntentPolicy
from conversations.agent.quoting import run_quote_tool
from conversations.agent.tools import lookup_prospect, search_knowledge_base
from conversations.agent.types import ToolCall, TurnInput
from crm.client import get_crm_client
from knowledge.search import SearchResult
from pricing.quotes import BILLINGS, SEGMENTS

logger = logging.getLogger(__name__)
BRAIN_NAME = "openai"
PROMPT_VERSION = model_prompt.PROMPT_VERSION
# A model asking for more tool calls than this in one round gets an error result for the rest.
MAX_TOOL_CALLS_PER_ROUND = 4
MODEL_TOOLS = ("search_knowledge_base", "get_prospect", "quote_price")


class ModelBrainFailed(RuntimeError):
    """The model could not produce a valid answer; ``tool_log`` records what was attempted."""

    def __init__(self, reason: str, *, tool_log: list[ToolCall] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tool_log = tool_log or []


def model_configured() -> bool:
    """Whether a model endpoint is configured (an API key, or a base URL for a local server)."""
    return bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)


class ModelBrain:
    name = BRAIN_NAME

    def judge(self, turn: TurnInput, evidence: Evidence, policies: dict[str, IntentPolicy]) -> Judgement:
        """Judge one turn with the configured chat model; the circuit breaker may refuse to call it."""
        try:
            breaker_check(trial_seconds=turn_budget_seconds())
        except CircuitOpen as exc:
            raise ModelBrainFailed(str(exc)) from exc
        model_turn = _ModelTurn(turn, evidence)
        try:
            judgement = model_turn.run()
        except ModelBrainFailed:
            breaker_record_failure()
            raise
        except Exception as exc:
            # A bug or an unexpected response shape must not cost the prospect's turn: the local
            # brain still answers, and the traceback is in the logs.
            logger.exception("model brain crashed")
            breaker_record_failure()
            raise ModelBrainFailed(f"unexpected error: {exc}", tool_log=model_turn.tool_log) from exc
        breaker_record_success()
        return judgement


class _ModelTurn:
    """The state of one model turn: messages so far, tool log, evidence and token usage."""

    def __init__(self, turn: TurnInput, evidence: Evidence) -> None:
        self.turn = turn
        self.evidence = evidence
        self.tool_log: list[ToolCall] = []
        self.reasoning: list[str] = []
        # What the model may cite: the evidence's chunks, then what its own tool calls fetch.
        self.knowledge: list[SearchResult] = evidence.knowledge
        self.extra_knowledge: list[SearchResult] = []
        # Figures the quote tool computed (the pipeline's quote, and any the model asks for).
        self.tool_evidence: list[str] = evidence.quote.facts if evidence.quote else []
        self.messages: list[dict[str, Any]] = []
        self.schema: dict[str, Any] = {}
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.calls = 0
        self.model_name = settings.OPENAI_MODEL
        self.deadline = Deadline.after(turn_budget_seconds())
        self.started = perf_counter()

    def run(self) -> Judgement:
        intents = intent_options()
        self.schema = answer_schema([option.name for option in intents])
        quote = self.evidence.quote.describe() if self.evidence.quote else ""
        self.messages = model_prompt.initial_messages(
            self.turn, intents=intents, evidence=self.evidence, quote=quote
        )
        content = self._converse()
        try:
            answer = parse_answer(content, self.schema)
        except InvalidOutput as first_error:
            content, answer = self._repair_format(content, first_error)
        judgement = self._judgement(answer)
        unbacked = find_unsupported_claims(judgement.draft, self._evidence_texts())
        if unbacked:
            judgement = self._repair_grounding(judgement, content, unbacked)
        return self._with_totals(judgement)

    def _evidence_texts(self) -> list[str]:
        texts = [result.text for result in self.knowledge] + self.tool_evidence
        if self.evidence.prospect is not None:
            texts.append(json.dumps(self.evidence.prospect.as_dict(), default=str))
        return texts

    def _call(self, *, allow_tools: bool) -> Any:
        """One model call (with retries); returns the assistant message."""
        self.calls += 1
        try:
            completion = create_completion(
                deadline=self.deadline,
                log=self.tool_log,
                round_number=self.calls,
                model=settings.OPENAI_MODEL,
                messages=self.messages,
                tools=model_prompt.tool_definitions(),
                tool_choice="auto" if allow_tools else "none",
                response_format=response_format(self.schema),
            )
        except ModelCallFailed as exc:
            raise ModelBrainFailed(str(exc), tool_log=self.tool_log) from exc
        if completion.usage is not None:
            self.prompt_tokens += completion.usage.prompt_tokens or 0
            self.completion_tokens += completion.usage.completion_tokens or 0
        self.model_name = completion.model or self.model_name
        if not completion.choices:
            return None
        message = completion.choices[0].message
        if message.refusal:
            raise ModelBrainFailed(f"the model refused: {message.refusal[:200]}", tool_log=self.tool_log)
        return message

    def _converse(self) -> str | None:
        """Call the model, running the tools it asks for, until it gives its final content."""
        tool_rounds = 0
        while True:
            allow_tools = tool_rounds < settings.OPENAI_MAX_TOOL_ROUNDS
            message = self._call(allow_tools=allow_tools)
            if message is None:
                return None
            tool_calls = message.tool_calls or []
            if not (tool_calls and allow_tools):
                return message.content
            tool_rounds += 1
            self.messages.append(
                {
                    "role": "assistant",
                    "content": message.content,
                    "tool_calls": [call.model_dump(exclude_none=True) for call in tool_calls],
                }
            )
            for index, call in enumerate(tool_calls):
                if index < MAX_TOOL_CALLS_PER_ROUND:
                    output = self._run_tool(call)
                else:
                    output = "error: too many tool calls in one round; answer with what you have"
                self.messages.append({"role": "tool", "tool_call_id": call.id, "content": output})

    def _run_tool(self, call: Any) -> str:
        """Run one tool the model asked for; its result goes back to the model as delimited data."""
        name = call.function.name if call.type == "function" else str(call.type)
        raw = call.function.arguments if call.type == "function" else ""
        try:
            args = json.loads(raw or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as exc:
            self.tool_log.append(
                ToolCall(name, {"arguments": raw[:200]}, False, 0.0, "bad arguments", str(exc))
            )
            return f"error: the arguments are not a JSON object ({exc})"
        query, prospect_id = args.get("query"), args.get("prospect_id")
        plan, seats = args.get("plan"), args.get("seats")
        if (
            name == "quote_price"
            and isinstance(plan, str)
            and isinstance(seats, int)
            and not isinstance(seats, bool)
        ):
            segment = args.get("segment") if args.get("segment") in SEGMENTS else None
            billing = args.get("billing") if args.get("billing") in BILLINGS else "annual"
            quote, error, logged = run_quote_tool(
                plan=plan, seats=seats, billing=str(billing), segment=segment, requested_by="model"
            )
            if quote is not None:
                self.tool_evidence.append(quote.describe())
            self.tool_log.append(logged)
            self.reasoning.append(
                f"The model called quote_price({json.dumps(args)[:120]}): {logged.output_summary}."
            )
            return model_prompt.tool_result_quote(quote.as_dict() if quote else {"error": str(error)})
        if name == "search_knowledge_base" and isinstance(query, str) and query.strip():
            category = args.get("category") if isinstance(args.get("category"), str) else None
            results, logged = search_knowledge_base(query, k=settings.KNOWLEDGE_SEARCH_K, category=category)
            known = {r.chunk_id for r in self.knowledge}
            fresh = [r for r in results if r.chunk_id not in known]
            self.knowledge.extend(fresh)
            self.extra_knowledge.extend(fresh)
            output = model_prompt.tool_result_chunks(results)
        elif name == "get_prospect" and isinstance(prospect_id, str) and prospect_id.strip():
            record, logged = lookup_prospect(get_crm_client(), prospect_id)
            output = model_prompt.tool_result_prospect(record, prospect_id, lookup_ok=logged.ok)
        else:
            error = "unknown tool" if name not in MODEL_TOOLS else "bad arguments"
            self.tool_log.append(ToolCall(name, args, False, 0.0, error, error=error))
            return f"error: {error}"
        logged.input["requested_by"] = "model"
        self.tool_log.append(logged)
        self.reasoning.append(f"The model called {name}({json.dumps(args)[:120]}): {logged.output_summary}.")
        return output

    def _repair_format(self, content: str | None, error: InvalidOutput) -> tuple[str | None, ModelAnswer]:
        """Exactly one chance to fix an answer that is not valid JSON or breaks the schema."""
        self.messages.append({"role": "assistant", "content": content or ""})
        self.messages.append({"role": "user", "content": model_prompt.format_repair(str(error))})
        repaired = self._call(allow_tools=False)
        content = repaired.content if repaired else None
        try:
            answer = parse_answer(content, self.schema)
        except InvalidOutput as second_error:
            raise ModelBrainFailed(
                f"invalid output after repair: {second_error}", tool_log=self.tool_log
            ) from None
        self.reasoning.append(f"The model's first answer was invalid ({error}); the repaired one was used.")
        return content, answer

    def _repair_grounding(self, result: Judgement, content: str | None, unbacked: list[str]) -> Judgement:
        """One request to rewrite unbacked claims; if it fails, the first answer stands and the
        pipeline's grounding guard deals with the claims."""
        self.messages.append({"role": "assistant", "content": content or ""})
        self.messages.append({"role": "user", "content": model_prompt.grounding_repair(unbacked)})
        claims = ", ".join(unbacked)
        try:
            repaired = self._call(allow_tools=False)
            better = parse_answer(repaired.content if repaired else None, self.schema)
        except (ModelBrainFailed, InvalidOutput) as exc:
            result.reasoning.append(
                f"The draft claimed {claims} without backing; the rewrite failed ({exc})."
            )
            return result
        self.reasoning.append(
            f"The draft claimed {claims} without backing; the model was asked to rewrite it."
        )
        return self._judgement(better)

    def _judgement(self, answer: ModelAnswer) -> Judgement:
        provided = {r.chunk_id for r in self.knowledge}
        citations = [chunk_id for chunk_id in answer.cited_chunk_ids if chunk_id in provided]
        reasoning = [
            *self.reasoning,
            f"Model {self.model_name} (prompt {PROMPT_VERSION}): intent {answer.intent}, sentiment "
            f"{answer.sentiment}. {answer.reasoning}",
        ]
        dropped = [chunk_id for chunk_id in answer.cited_chunk_ids if chunk_id not in provided]
        if dropped:
            reasoning.append(f"Dropped citations of chunks that were not provided: {dropped}.")
        if citations:
            reasoning.append(f"Draft grounded in chunks {citations}.")
        flag = dict(answer.secondary_actions).get("FLAG_FOR_HUMAN_REVIEW")
        return Judgement(
            intent=answer.intent,
            sentiment=answer.sentiment,
            language=self.evidence.language.code,
            entities=answer.entities,
            key_points=answer.key_points,
            draft=answer.reply_draft,
            citations=citations,
            confidence=round(answer.confidence, 3),
            brain=BRAIN_NAME,
            model_name=self.model_name,
            reasoning=reasoning,
            review_reasons=[f"the model asked for review: {flag or 'no reason given'}"]
            if flag is not None
            else [],
            # Whether the draft rests on the evidence is the grounding guard's check, claim by claim.
            grounded=True,
            tool_log=self.tool_log,
            extra_knowledge=self.extra_knowledge,
            tool_evidence=list(self.tool_evidence),
            suggested_actions=[action for action, _ in answer.secondary_actions],
            prompt_version=PROMPT_VERSION,
        )

    def _with_totals(self, result: Judgement) -> Judgement:
        """Token usage, cost and latency over every call of the turn."""
        result.prompt_tokens = self.prompt_tokens
        result.completion_tokens = self.completion_tokens
        result.cost_usd = round(
            (
                self.prompt_tokens * settings.OPENAI_INPUT_PRICE_PER_MTOK
                + self.completion_tokens * settings.OPENAI_OUTPUT_PRICE_PER_MTOK
            )
            / 1_000_000,
            6,
        )
        result.reasoning.append(
            f"{self.calls} model call(s), {self.prompt_tokens} prompt + {self.completion_tokens} "
            f"completion tokens, estimated ${result.cost_usd:.6f}."
        )
        return result
