"""Search over a small corpus of our own: ranking, modes, filters and per-document caps."""

import pytest

from knowledge.search import search_knowledge
from knowledge.services import document_upsert

pytestmark = pytest.mark.django_db

CORPUS = {
    "zx-parrots": (
        "Parrots",
        "## Feeding\nParrots eat seeds, nuts and fresh fruit every day.\n\n"
        "## Talking\nMany parrots learn to mimic human speech.",
    ),
    "zx-cacti": (
        "Cacti",
        "## Watering\nWater cacti sparingly, about once every two weeks.\n\n"
        "## Light\nCacti need bright direct sunlight.",
    ),
    "zx-bicycles": (
        "Bicycles",
        "## Tyres\nInflate bicycle tyres to the pressure printed on the sidewall.\n\n"
        "## Chains\nOil the chain monthly to stop rust.",
    ),
}


@pytest.fixture
def corpus(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for slug, (title, body) in CORPUS.items():
            document_upsert(
                slug=slug,
                title=title,
                body=body,
                category="zoo" if slug != "zx-bicycles" else "garage",
                tags=[slug.split("-")[1]],
            )


@pytest.mark.parametrize("mode", ["hybrid", "vector", "text"])
def test_each_mode_ranks_the_relevant_chunk_first(corpus, mode):
    results = search_knowledge("how often should I water my cactus", k=3, mode=mode, category="zoo")

    assert results[0].document_slug == "zx-cacti"
    assert results[0].heading_path == "Cacti > Watering"


def test_hybrid_results_explain_their_ranks(corpus):
    results = search_knowledge("what do parrots eat", k=3, category="zoo")

    top = results[0]
    assert top.document_slug == "zx-parrots"
    assert top.vector_rank == 1
    assert top.text_rank is not None
    assert top.vector_similarity > 0.4
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_filters_restrict_results(corpus):
    by_category = search_knowledge("bicycle chain oil", k=5, category="zoo")
    by_tag = search_knowledge("anything about plants", k=5, tags=["bicycles"])
    by_document = search_knowledge("sunlight", k=5, document="zx-parrots")

    assert {r.document_slug for r in by_category} <= {"zx-parrots", "zx-cacti"}
    assert {r.document_slug for r in by_tag} == {"zx-bicycles"}
    assert {r.document_slug for r in by_document} == {"zx-parrots"}


def test_per_document_cap(corpus):
    capped = search_knowledge("parrots", k=5, category="zoo", max_per_document=1)
    uncapped = search_knowledge("parrots", k=5, category="zoo", max_per_document=None)

    assert [r.document_slug for r in capped].count("zx-parrots") == 1
    assert [r.document_slug for r in uncapped].count("zx-parrots") == 2


def test_inactive_documents_are_not_searched(corpus):
    document_upsert(slug="zx-parrots", is_active=False)

    results = search_knowledge("what do parrots eat", k=5, category="zoo")

    assert "zx-parrots" not in {r.document_slug for r in results}


def test_empty_query_returns_nothing(corpus):
    assert search_knowledge("   ", k=5) == []


def test_search_api(api_client, corpus):
    response = api_client.get(
        "/api/knowledge/search", {"q": "bicycle tyre pressure", "k": 2, "mode": "hybrid"}
    )

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2
    assert data["results"][0]["document"] == "zx-bicycles"
    assert data["results"][0]["heading_path"] == "Bicycles > Tyres"
    assert {"score", "vector_rank", "text_rank", "chunk_id", "text"} <= set(data["results"][0])


@pytest.mark.parametrize(
    "params", [{}, {"q": "x", "k": 0}, {"q": "x", "k": "many"}, {"q": "x", "mode": "magic"}]
)
def test_search_api_rejects_bad_parameters(api_client, params):
    response = api_client.get("/api/knowledge/search", params)

    assert response.status_code == 400
    assert set(response.json()) & {"q", "k", "mode"}
