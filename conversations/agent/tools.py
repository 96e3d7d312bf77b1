"""The tools the agent can call, each timed and logged the same way whichever brain calls it."""

from __future__ import annotations

import logging
from time import perf_counter

from django.conf import settings

from conversations.agent.types import ToolCall
from crm.client import CRMClient, ProspectRecord
from knowledge.languages import DEFAULT_LANGUAGE
from knowledge.search import SearchResult, search_knowledge

logger = logging.getLogger(__name__)


def lookup_prospect(crm: CRMClient, prospect_id: str) -> tuple[ProspectRecord | None, ToolCall]:
    """CRM lookup; an unreachable CRM is logged as a failed call, never raised into the turn."""
    started = perf_counter()
    try:
        record = crm.get_prospect(prospect_id)
    except Exception as exc:  # the turn must survive any CRM failure
        logger.warning("CRM lookup failed for %s: %s", prospect_id, exc)
        return None, ToolCall(
            "crm_lookup",
            {"prospect_id": prospect_id},
            False,
            (perf_counter() - started) * 1000,
            "CRM unavailable",
            error=str(exc)[:300],
        )
    summary = (
        f"found {record.name} ({record.company}), lead score {record.lead_score}" if record else "not found"
    )
    return record, ToolCall(
        "crm_lookup", {"prospect_id": prospect_id}, True, (perf_counter() - started) * 1000, summary
    )


def search_knowledge_base(
    query: str,
    *,
    k: int,
    query_vector: list[float] | None = None,
    category: str | None = None,
    prefer_categories: list[str] | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> tuple[list[SearchResult], ToolCall]:
    """Knowledge search (``KNOWLEDGE_SEARCH_MODE``, hybrid by default) over the documents in
    ``language``; a failure yields no results and a failed call in the log."""
    started = perf_counter()
    mode = settings.KNOWLEDGE_SEARCH_MODE
    tool_input: dict[str, object] = {"query": query, "k": k, "mode": mode}
    if language != DEFAULT_LANGUAGE:
        tool_input["language"] = language
    if category:
        tool_input["category"] = category
    if prefer_categories:
        tool_input["prefer_categories"] = prefer_categories
    try:
        results = search_knowledge(
            query,
            k=k,
            mode=mode,
            query_vector=query_vector,
            category=category,
            prefer_categories=prefer_categories,
            max_per_document=settings.KNOWLEDGE_MAX_PER_DOCUMENT,
            language=language,
        )
    except Exception as exc:  # search problems degrade the draft, they do not fail the turn
        logger.exception("knowledge search failed")
        return [], ToolCall(
            "knowledge_search",
            tool_input,
            False,
            (perf_counter() - started) * 1000,
            "search failed",
            error=str(exc)[:300],
        )
    documents = list(dict.fromkeys(result.document_slug for result in results))
    summary = f"{len(results)} chunks from {', '.join(documents)}" if results else "no matching chunks"
    return results, ToolCall("knowledge_search", tool_input, True, (perf_counter() - started) * 1000, summary)
