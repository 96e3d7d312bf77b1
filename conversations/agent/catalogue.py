"""What the company sells and connects to, stated from its structured data: the price book's plans and
the company profile's integrations, each as one sentence in the prospect's language.

"Which plans do you offer?" and "which integrations do you have?" need every plan or tool, which no
single retrieved chunk may list; these sentences join the retrieved ones as candidates for the draft,
and the embedding model decides whether a question asks for them. They state names, not figures, so
the grounding guard has no claim in them to check.
"""

from __future__ import annotations

from company.vocabulary import Vocabulary
from conversations.agent.entities import plan_mentions
from conversations.agent.phrases import join_list, phrase
from knowledge.search import SearchResult

# Not chunks of any document: below every real chunk id, and never cited.
PLANS_ID = -1
INTEGRATIONS_ID = -2
CATALOGUE_IDS = frozenset({PLANS_ID, INTEGRATIONS_ID})
# The knowledge category each list answers in: an intent whose categories include it may use it.
PLANS_CATEGORY = "pricing"
INTEGRATIONS_CATEGORY = "integrations"


def catalogue_results(
    vocabulary: Vocabulary, language: str, categories: tuple[str, ...], *, question: str = ""
) -> list[SearchResult]:
    """The catalogue sentences an intent searching ``categories`` may answer ``question`` with, as
    search results. A question that names a plan (or a tool) asks about that one, not for the list."""
    results = []
    names_plan = bool(plan_mentions(question, vocabulary))
    tools = vocabulary.names_of_kind("integration")
    integrations = vocabulary.entities_of_kind("integration")
    names_tool = any(entity in integrations for _, entity in vocabulary.term_mentions(question))
    if PLANS_CATEGORY in categories and len(vocabulary.plans) > 1 and not names_plan:
        text = phrase("catalogue_plans", language, plans=join_list(list(vocabulary.plan_names), language))
        results.append(_result(PLANS_ID, "price-book", PLANS_CATEGORY, text, language))
    if INTEGRATIONS_CATEGORY in categories and len(tools) > 1 and not names_tool:
        text = phrase("catalogue_integrations", language, tools=join_list(tools, language))
        results.append(_result(INTEGRATIONS_ID, "company-profile", INTEGRATIONS_CATEGORY, text, language))
    return results


def _result(chunk_id: int, slug: str, category: str, text: str, language: str) -> SearchResult:
    return SearchResult(
        chunk_id=chunk_id,
        document_slug=slug,
        document_title=slug,
        category=category,
        heading_path="",
        text=text,
        score=1.0,
        language=language,
    )
