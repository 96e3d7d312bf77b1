"""The model brain: an OpenAI-compatible chat model with tool calling and structured output.

Used when ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` is configured. The pipeline's evidence (knowledge
search per question, CRM record, quote, language) goes into the prompt, so the common turn is one
round-trip; the model may still call tools (``OPENAI_MAX_TOOL_ROUNDS`` rounds). Its answer is
validated against the schema, with one repair attempt for invalid output, one for an answer cut at
the token limit (never fed back as if complete), one for a draft too short or off the topic
(``model_quality``) and one for claims the evidence does not back. What the server accepts
(structured output mode, tools, token parameter) is negotiated by ``model_capabilities``. It returns
a judgement only: next steps and flags come from the shared policy. Any failure it cannot recover
from raises :class:`ModelBrainFailed` (with the tokens spent so far), and the pipeline answers with
the local brain.
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
from conversations.agent.model_capabilities import BadModelSetting, Capabilities, capabilities_get
from conversations.agent.model_client import (
    Deadline,
    ModelCallFailed,
    create_completion,
    turn_budget_seconds,
)
from conversations.agent.model_output import (
    MAX_ENTITIES,
    MAX_KEY_POINTS,
    InvalidOutput,
    ModelAnswer,
    answer_schema,
    intent_options,
    parse_answer,
    response_format,
)
from conversations.agent.model_quality import confidence_review_reason, draft_problems
from conversations.agent.policy import IntentPolicy
from conversations.agent.quoting import run_quote_tool
from conversations.agent.tools import lookup_prospect, search_knowledge_base
from conversations.agent.types import ToolCall, TurnInput
from crm.client import get_crm_client
from knowledge.search import SearchResult
from pricing.quotes import BILLINGS

logger = logging.getLogger(__name__)
BRAIN_NAME = "openai"
PROMPT_VERSION = model_prompt.PROMPT_VERSION
# A model asking for more tool calls than this in one round gets an error result for the rest.
MAX_TOOL_CALLS_PER_ROUND = 4
MODEL_TOOLS = ("search_knowledge_base", "get_prospect", "quote_price")


class ModelBrainFailed(RuntimeError):
    """The model could not produce a valid answer; ``tool_log`` records what was attempted and the
    token counts what the failed attempts cost (the turn's usage includes them)."""

    def __init__(
        self,
        reason: str,
        *,
        tool_log: list[ToolCall] | None = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tool_log = tool_log or []
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens


class _Cut(Exception):
    """The model's message stopped at the token limit (``finish_reason == "length"``)."""


def estimated_cost(prompt_tokens: int, completion_tokens: int) -> float:
    """USD for this many tokens at the configured prices."""
    return round(
        (
            prompt_tokens * settings.OPENAI_INPUT_PRICE_PER_MTOK
            + completion_tokens * settings.OPENAI_OUTPUT_PRICE_PER_MTOK
        )
        / 1_000_000,
        6,
    )


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
            raise model_turn.failure(f"unexpected error: {exc}") from exc
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
        self.intents: list[Any] = []
        self.caps = Capabilities()
        # Problems the draft still has after its quality repair: review reasons, not failures.
        self.quality_flags: list[str] = []
        # The longest a successful call took this turn: an optional repair is not started when less
        # time than that is left (it would only time out and cost the answer we have).
        self.slowest_call = 0.0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.calls = 0
        self.model_name = settings.OPENAI_MODEL
        self.deadline = Deadline.after(turn_budget_seconds())
        self.started = perf_counter()

    def failure(self, reason: str) -> ModelBrainFailed:
        """The exception that ends this turn on the model, with what it cost so far."""
        return ModelBrainFailed(
            reason,
            tool_log=self.tool_log,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
        )

    def run(self) -> Judgement:
        try:
            self.caps = capabilities_get()
        except BadModelSetting as exc:
            raise self.failure(str(exc)) from exc
        self.intents = intent_options()
        self.schema = answer_schema([option.name for option in self.intents])
        quote = self.evidence.quote.describe() if self.evidence.quote else ""
        self.messages = model_prompt.initial_messages(
            self.turn, intents=self.intents, evidence=self.evidence, quote=quote
        )
        try:
            content = self._converse()
        except _Cut:
            content = self._repair_cut()
        try:
            answer = self._parse(content)
        except InvalidOutput as first_error:
            content, answer = self._repair_format(content, first_error)
        content, answer = self._check_quality(content, answer)
        judgement = self._judgement(answer)
        unbacked = find_unsupported_claims(judgement.draft, self._evidence_texts())
        if unbacked:
            judgement = self._repair_grounding(judgement, content, unbacked)
        review = confidence_review_reason(judgement.confidence)
        if review:
            judgement.review_reasons.append(review)
        return self._with_totals(judgement)

    def _parse(self, content: str | None) -> ModelAnswer:
        # Only json_schema constrains the whole answer; otherwise take the object out of any text.
        return parse_answer(content, self.schema, lenient=self.caps.structured != "json_schema")

    def _request(self, caps: Capabilities, *, allow_tools: bool) -> dict[str, Any]:
        """The request body for the server's capabilities (rebuilt when they are stepped down)."""
        spelled_out = None if caps.structured == "json_schema" else self.schema
        self.messages[0] = {
            "role": "system",
            "content": model_prompt.system_prompt(self.intents, schema=spelled_out),
        }
        request: dict[str, Any] = {
            "model": settings.OPENAI_MODEL,
            "messages": list(self.messages),
            caps.token_param: settings.OPENAI_MAX_TOKENS,
        }
        if caps.tools:
            request["tools"] = model_prompt.tool_definitions(self.evidence.vocabulary)
            request["tool_choice"] = "auto" if allow_tools else "none"
        structured = response_format(self.schema, mode=caps.structured, string_limits=caps.string_limits)
        if structured is not None:
            request["response_format"] = structured
        if settings.OPENAI_TEMPERATURE is not None:
            request["temperature"] = settings.OPENAI_TEMPERATURE
        if settings.OPENAI_SEED is not None:
            request["seed"] = settings.OPENAI_SEED
        return request

    def _evidence_texts(self) -> list[str]:
        texts = [result.text for result in self.knowledge] + self.tool_evidence
        if self.evidence.prospect is not None:
            texts.append(json.dumps(self.evidence.prospect.as_dict(), default=str))
        return texts

    def _call(self, *, allow_tools: bool) -> Any:
        """One model call (with retries); returns the assistant message, raises :class:`_Cut` when
        it stopped at the token limit (its tokens are counted all the same)."""
        self.calls += 1
        started = perf_counter()
        try:
            completion = create_completion(
                deadline=self.deadline,
                log=self.tool_log,
                round_number=self.calls,
                caps=self.caps,
                build=lambda caps: self._request(caps, allow_tools=allow_tools),
            )
        except ModelCallFailed as exc:
            raise self.failure(str(exc)) from exc
        self.slowest_call = max(self.slowest_call, perf_counter() - started)
        if completion.usage is not None:
            self.prompt_tokens += completion.usage.prompt_tokens or 0
            self.completion_tokens += completion.usage.completion_tokens or 0
        self.model_name = completion.model or self.model_name
        if not completion.choices:
            return None
        choice = completion.choices[0]
        if choice.message.refusal:
            raise self.failure(f"the model refused: {choice.message.refusal[:200]}")
        if choice.finish_reason == "length":
            raise _Cut()
        return choice.message

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
                    # "" rather than null: llama-cpp-python rejects a null content.
                    "content": message.content or "",
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
            segment = (
                args.get("segment") if args.get("segment") in self.evidence.vocabulary.segment_terms else None
            )
            billing = args.get("billing") if args.get("billing") in BILLINGS else "annual"
            quote, error, logged = run_quote_tool(
                plan=plan, seats=seats, billing=str(billing), segment=segment, requested_by="model"
            )
            if quote is not None:
                self.tool_evidence.append(quote.describe(self.evidence.vocabulary.unit))
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
            problem = "unknown tool" if name not in MODEL_TOOLS else "bad arguments"
            self.tool_log.append(ToolCall(name, args, False, 0.0, problem, error=problem))
            return f"error: {problem}"
        logged.input["requested_by"] = "model"
        self.tool_log.append(logged)
        self.reasoning.append(f"The model called {name}({json.dumps(args)[:120]}): {logged.output_summary}.")
        return output

    def _cut_reason(self) -> str:
        return f"cut at the {settings.OPENAI_MAX_TOKENS}-token limit (finish_reason length)"

    def _repair_cut(self) -> str | None:
        """One shorter try after an answer cut at the token limit. The cut text is not sent back:
        it is incomplete, and feeding it back only makes the next answer longer."""
        self.messages.append(
            {
                "role": "user",
                "content": model_prompt.cut_repair(
                    settings.OPENAI_MAX_TOKENS, entities=MAX_ENTITIES // 2, key_points=MAX_KEY_POINTS // 2
                ),
            }
        )
        try:
            repaired = self._call(allow_tools=False)
        except _Cut:
            raise self.failure(
                f"the answer was {self._cut_reason()}, and again after asking for a shorter one"
            ) from None
        self.reasoning.append(
            f"The model's first answer was {self._cut_reason()}; a shorter one was asked for."
        )
        return repaired.content if repaired else None

    def _repair_format(self, content: str | None, error: InvalidOutput) -> tuple[str | None, ModelAnswer]:
        """Exactly one chance to fix an answer that is not valid JSON or breaks the schema."""
        self.messages.append({"role": "assistant", "content": content or ""})
        self.messages.append({"role": "user", "content": model_prompt.format_repair(str(error))})
        try:
            repaired = self._call(allow_tools=False)
        except _Cut:
            raise self.failure(
                f"invalid output ({error}); the repaired answer was {self._cut_reason()}"
            ) from None
        content = repaired.content if repaired else None
        try:
            answer = self._parse(content)
        except InvalidOutput as second_error:
            raise self.failure(f"invalid output after repair: {second_error}") from None
        self.reasoning.append(f"The model's first answer was invalid ({error}); the repaired one was used.")
        return content, answer

    def _time_for_another_call(self) -> bool:
        return self.deadline.remaining() >= self.slowest_call

    def _check_quality(self, content: str | None, answer: ModelAnswer) -> tuple[str | None, ModelAnswer]:
        """One repair for a draft that is too short or answers nothing asked; a draft still too short
        ends the model turn, one still off the topic (or whose repair failed) is kept and flagged."""
        evidence = self._evidence_texts()
        problems, fatal = draft_problems(
            answer.reply_draft, message=self.turn.message, evidence_texts=evidence
        )
        if not problems:
            return content, answer
        if not fatal and not self._time_for_another_call():
            self.quality_flags.append(f"{problems[0]}; no time was left to ask again")
            return content, answer
        self.messages.append({"role": "assistant", "content": content or ""})
        self.messages.append({"role": "user", "content": model_prompt.quality_repair(problems)})
        try:
            repaired = self._call(allow_tools=False)
            better = self._parse(repaired.content if repaired else None)
        except (_Cut, InvalidOutput, ModelBrainFailed) as exc:
            detail = self._cut_reason() if isinstance(exc, _Cut) else str(exc)
            if fatal:
                raise self.failure(f"unusable answer ({problems[0]}); the repair failed: {detail}") from None
            self.quality_flags.append(f"{problems[0]}; asking again failed ({detail})")
            return content, answer
        still, fatal = draft_problems(better.reply_draft, message=self.turn.message, evidence_texts=evidence)
        if still and fatal:
            raise self.failure(f"unusable answer after repair: {still[0]}")
        self.reasoning.append(f"The model's first answer was unusable ({problems[0]}); it was asked again.")
        if still:
            self.quality_flags.append(still[0])
        return repaired.content if repaired else None, better

    def _repair_grounding(self, result: Judgement, content: str | None, unbacked: list[str]) -> Judgement:
        """One request to rewrite unbacked claims; if it fails, or no time is left for it, the first
        answer stands and the pipeline's grounding guard deals with the claims."""
        if not self._time_for_another_call():
            result.reasoning.append(
                f"The draft claimed {', '.join(unbacked)} without backing; no time was left to ask for a "
                "rewrite, so the grounding guard removes them."
            )
            return result
        self.messages.append({"role": "assistant", "content": content or ""})
        self.messages.append({"role": "user", "content": model_prompt.grounding_repair(unbacked)})
        claims = ", ".join(unbacked)
        try:
            repaired = self._call(allow_tools=False)
            better = self._parse(repaired.content if repaired else None)
        except (ModelBrainFailed, InvalidOutput, _Cut) as exc:
            detail = self._cut_reason() if isinstance(exc, _Cut) else str(exc)
            result.reasoning.append(
                f"The draft claimed {claims} without backing; the rewrite failed ({detail})."
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
            *[f"Server capabilities: {note}." for note in self.caps.notes],
            f"Model {self.model_name} (prompt {PROMPT_VERSION}; {self.caps.describe()}): intent "
            f"{answer.intent}, sentiment {answer.sentiment}. {answer.reasoning}",
        ]
        if self.caps.learnt and not self.caps.notes:
            reasoning.append(f"Learnt earlier about this server: {self.caps.learnt[-1]}.")
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
            review_reasons=[
                *([f"the model asked for review: {flag or 'no reason given'}"] if flag is not None else []),
                *self.quality_flags,
            ],
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
        result.cost_usd = estimated_cost(self.prompt_tokens, self.completion_tokens)
        result.reasoning.append(
            f"{self.calls} model call(s), {self.prompt_tokens} prompt + {self.completion_tokens} "
            f"completion tokens, estimated ${result.cost_usd:.6f}."
        )
        return result
