"""Search over a small corpus of our own: ranking, modes, filters, caps, query plans and caching."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from knowledge import search, vector_search
from knowledge.embeddings import embed_query
from knowledge.index_version import bump_search_version
from knowledge.models import Document
from knowledge.search import search_knowledge, text_search_query
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


@pytest.fixture(autouse=True)
def empty_cache():
    # The locmem cache outlives each test's rolled-back transaction.
    cache.clear()


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
    assert top.vector_similarity is not None
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


def test_vector_query_plan_uses_the_hnsw_index(corpus, monkeypatch):
    # Given a corpus too big for the exact scan (the demo base is small, so lower the threshold)
    monkeypatch.setattr(vector_search, "EXACT_SCAN_MAX_ROWS", 0)

    # When search runs unfiltered, capturing the exact SQL it sends
    with CaptureQueriesContext(connection) as captured:
        results = search_knowledge("bicycle tyre pressure", k=3, mode="vector", use_cache=False)
    settings_sql, vector_sql = [
        q["sql"] for q in captured.captured_queries if "hnsw." in q["sql"] or "<=>" in q["sql"]
    ]

    # Then Postgres plans that very statement as an HNSW index scan
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(settings_sql)
        # On a table this small, reading every row and sorting is cheapest. With sorting priced
        # out, only the HNSW index can deliver rows in distance order; SQL that can no longer use
        # the index still gets a (penalised) Sort plan, and this test fails.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {vector_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using chunk_embedding_hnsw" in plan
    assert results[0].document_slug == "zx-bicycles"


def test_the_exact_scan_runs_one_statement_outside_any_transaction(corpus, monkeypatch):
    # Given a knowledge base small enough for the exact scan (the row count is cached)
    monkeypatch.setattr(vector_search, "EXACT_SCAN_MAX_ROWS", 10_000)
    search_knowledge("bicycle tyre pressure", k=3, mode="vector", use_cache=False)

    # When the vector search runs again
    with CaptureQueriesContext(connection) as captured:
        results = search_knowledge("bicycle tyre pressure", k=3, mode="vector", use_cache=False)

    # Then it is the nearest-chunk statement and the hydration, with no savepoint (no transaction
    # of its own, so no BEGIN and COMMIT outside tests) and no HNSW settings
    statements = [q["sql"] for q in captured.captured_queries]
    assert len(statements) == 2, statements
    assert "MATERIALIZED" in statements[0]
    assert not any("SAVEPOINT" in sql or "hnsw." in sql for sql in statements)
    assert results[0].document_slug == "zx-bicycles"


def test_preferred_categories_are_ranked_by_the_same_statement_as_the_whole_filter(corpus):
    # Given a query vector and a filter small enough for the exact scan, searched once to cache its size
    vector = embed_query("how often should I water my cactus")
    where, params = search._filter_sql(None, None, None, "en")
    vector_search.filtered_chunk_count(where, params)

    # When both rankings are asked for
    with CaptureQueriesContext(connection) as captured:
        both, preferred = vector_search.vector_candidates_and_preferred(
            vector, where=where, params=params, categories=["zoo"], limit=5
        )

    # Then one statement returned what the two searches it replaces return, row for row
    assert len(captured.captured_queries) == 1
    assert both == vector_search.vector_candidates(vector, where=where, params=params, limit=5)
    assert preferred == vector_search.vector_candidates(
        vector, where=f"{where} AND d.category = ANY(%s)", params=[*params, ["zoo"]], limit=5
    )
    assert [chunk_id for chunk_id, _, _ in preferred][:1] == [both[0][0]]
    assert len(preferred) == 4  # the zoo documents' four chunks, nearest first


def test_the_hnsw_scan_sets_its_settings_inside_a_transaction(corpus, monkeypatch):
    # Given a corpus too big for the exact scan (the demo base is small, so lower the threshold)
    monkeypatch.setattr(vector_search, "EXACT_SCAN_MAX_ROWS", 0)

    # When the vector search runs
    with CaptureQueriesContext(connection) as captured:
        search_knowledge("bicycle tyre pressure", k=3, mode="vector", use_cache=False)

    # Then the transaction-local settings and the index scan share a transaction (a savepoint here)
    statements = [q["sql"] for q in captured.captured_queries]
    opened = next(i for i, sql in enumerate(statements) if sql.startswith("SAVEPOINT"))
    settings_at = next(i for i, sql in enumerate(statements) if "hnsw.ef_search" in sql)
    released = next(i for i, sql in enumerate(statements) if sql.startswith("RELEASE SAVEPOINT"))
    scan_at = next(i for i, sql in enumerate(statements) if "<=>" in sql)
    assert opened < settings_at < scan_at < released


@pytest.mark.parametrize("exact_scan_max_rows", [0, 10_000], ids=["hnsw-iterative", "exact-scan"])
def test_selective_filter_still_returns_k_results(corpus, monkeypatch, exact_scan_max_rows):
    # Given a filter that keeps 2 of the chunks in the test database (demo data included)
    monkeypatch.setattr(vector_search, "EXACT_SCAN_MAX_ROWS", exact_scan_max_rows)

    # When searching for something far from those chunks, with either vector strategy
    results = search_knowledge(
        "what do parrots eat", k=2, mode="vector", tags=["bicycles"], max_per_document=None, use_cache=False
    )
    all_there_is = search_knowledge(
        "what do parrots eat", k=5, mode="vector", tags=["bicycles"], max_per_document=None, use_cache=False
    )

    # Then every matching chunk is found, nearest first
    assert {r.heading_path for r in results} == {"Bicycles > Chains", "Bicycles > Tyres"}
    assert len(all_there_is) == 2
    nearest, next_nearest = results[0].vector_similarity, results[1].vector_similarity
    assert nearest is not None
    assert next_nearest is not None
    assert nearest >= next_nearest


def test_hybrid_ranks_a_chunk_both_lists_found_first(corpus):
    results = search_knowledge("oil the bicycle chain", k=3, max_per_document=None)

    top = results[0]
    assert top.heading_path == "Bicycles > Chains"
    assert top.vector_rank is not None
    assert top.text_rank is not None
    assert all(r.score < top.score for r in results[1:])


def test_quoted_phrase_is_matched_as_a_phrase(corpus):
    results = search_knowledge('"direct sunlight"', k=5, mode="text", max_per_document=None)

    assert [r.heading_path for r in results] == ["Cacti > Light"]
    tsquery = text_search_query('"direct sunlight"')
    assert tsquery is not None
    assert "<->" in tsquery


def test_minus_word_excludes_chunks(corpus):
    results = search_knowledge("parrots -seeds", k=5, mode="text", max_per_document=None)

    assert [r.heading_path for r in results] == ["Parrots > Talking"]


def test_plain_sentence_matches_any_distinctive_word(corpus):
    tsquery = text_search_query("Do parrots or cacti need sunlight?")

    assert tsquery is not None
    assert "|" in tsquery
    assert "&" not in tsquery


def test_cached_search_only_loads_chunks(corpus, django_assert_num_queries):
    first = search_knowledge("what do parrots eat", k=2, category="zoo")

    with django_assert_num_queries(1):  # the chunks themselves, always fresh
        again = search_knowledge("what do parrots eat", k=2, category="zoo")

    assert again == first


def test_reindex_invalidates_cached_results(corpus, django_capture_on_commit_callbacks):
    # Given a cached search that finds nothing about llamas
    before = search_knowledge("how do I groom a llama", k=1, mode="text")
    assert all(r.document_slug != "zx-llamas" for r in before)

    # When a llama document is added and indexed (which bumps the search version on commit)
    with django_capture_on_commit_callbacks(execute=True):
        document_upsert(
            slug="zx-llamas", title="Llamas", body="## Grooming\nGroom a llama with a soft brush."
        )

    # Then the same search sees the new content
    after = search_knowledge("how do I groom a llama", k=1, mode="text")
    assert after[0].document_slug == "zx-llamas"
    assert after[0].heading_path == "Llamas > Grooming"


def test_version_bump_drops_cached_rankings(corpus):
    search_knowledge("bicycle tyre pressure", k=2)
    bump_search_version()

    with CaptureQueriesContext(connection) as captured:
        search_knowledge("bicycle tyre pressure", k=2)

    assert len(captured.captured_queries) > 1


def test_cached_ranking_of_a_deactivated_document_is_not_served(corpus):
    search_knowledge("what do parrots eat", k=5, category="zoo")
    document_upsert(slug="zx-parrots", is_active=False)  # no reindex, so no version bump

    results = search_knowledge("what do parrots eat", k=5, category="zoo")

    assert "zx-parrots" not in {r.document_slug for r in results}
    assert results


def test_a_search_in_one_language_returns_only_that_languages_chunks_with_the_original_slug():
    # Given the demo base: English originals and their translations (loaded for the test session)
    # When a Spanish prospect's question is searched in Spanish
    results = search_knowledge("¿Puedo pagar el plan anual en cuotas?", k=6, language="es")

    # Then every chunk is from a Spanish document, and cites the English original it translates
    assert results
    assert {r.language for r in results} == {"es"}
    for result in results:
        original = Document.objects.get(slug=result.document_slug).translation_of
        assert original is not None
        assert result.canonical_slug == original.slug
        assert result.document_slug == f"{original.slug}-es"
    assert results[0].canonical_slug == "billing-and-payments"


def test_a_spanish_question_about_price_finds_the_spanish_pricing_chunk_first():
    results = search_knowledge("¿Cuánto cuesta el plan Standard por usuario?", k=3, language="es")

    assert results[0].document_slug == "plans-and-pricing-es"
    assert results[0].canonical_slug == "plans-and-pricing"
    assert results[0].heading_path == "Planes y precios > Plan Standard"
    assert "$49" in results[0].text


def test_english_search_is_unchanged_by_translations():
    results = search_knowledge("How much does the Standard plan cost per seat?", k=4)

    assert {r.language for r in results} == {"en"}
    assert all(r.canonical_slug == r.document_slug for r in results)
    assert results[0].document_slug == "plans-and-pricing"


def test_the_text_leg_parses_the_query_with_the_languages_configuration():
    spanish = text_search_query("¿Podemos cancelar las suscripciones?", language="es")
    english = text_search_query("¿Podemos cancelar las suscripciones?")

    # Spanish stems the verb and drops "las"; English keeps the words as they are
    assert spanish is not None
    assert english is not None
    assert "'cancel'" in spanish
    assert "'las'" not in spanish
    assert "'cancelar'" in english


@pytest.mark.parametrize("language", ["it", "xx"], ids=["no-documents", "unknown"])
def test_a_language_without_documents_returns_nothing(language):
    assert search_knowledge("Quanto costa il piano Standard?", k=4, language=language) == []


def test_cached_rankings_are_kept_per_language():
    # Given a ranking cached for a query in Spanish
    spanish = search_knowledge("Orbit Analytics", k=3, language="es")

    # When the same query is searched in Portuguese
    portuguese = search_knowledge("Orbit Analytics", k=3, language="pt")

    # Then it is ranked over Portuguese documents, not served from the Spanish entry
    assert {r.language for r in spanish} == {"es"}
    assert {r.language for r in portuguese} == {"pt"}


def test_search_api_searches_the_requested_language(api_client):
    response = api_client.get(
        "/api/knowledge/search", {"q": "¿Tienen soporte en portugués?", "k": 3, "language": "pt"}
    )

    assert response.status_code == 200
    data = response.json()
    assert data["language"] == "pt"
    assert data["results"][0]["document"] == "languages-pt"
    assert data["results"][0]["canonical_slug"] == "languages"
    assert {row["language"] for row in data["results"]} == {"pt"}


def test_search_api_rejects_an_unknown_language(api_client):
    response = api_client.get("/api/knowledge/search", {"q": "hola", "language": "xx"})

    assert response.status_code == 400
    assert "language" in response.json()
