"""Text embeddings: the local MiniLM model (default, offline; ``local_embedding``) or OpenAI, both
384-dimensional."""

from __future__ import annotations

import hashlib
import threading
from array import array
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from openai import APIConnectionError, InternalServerError, OpenAI, OpenAIError, RateLimitError

from knowledge.local_embedding import LocalEmbeddingModel

LOCAL_MODEL_NAME = "local:all-MiniLM-L6-v2"
QUERY_EMBEDDING_CACHE_SECONDS = 7 * 24 * 3600
_model_lock = threading.Lock()
_local_model: LocalEmbeddingModel | None = None


class EmbeddingError(RuntimeError):
    """The embedding backend could not embed the given texts."""


class EmbeddingUnavailable(EmbeddingError):
    """The embedding service could not be reached, timed out, rate-limited or failed on its side:
    worth retrying later (the reindex task does)."""


def embedding_model_name() -> str:
    """Identifier stored with every chunk, so search never compares vectors from different models."""
    if settings.EMBEDDING_BACKEND == "openai":
        return f"openai:{settings.OPENAI_EMBEDDING_MODEL}"
    return LOCAL_MODEL_NAME


def _load_local_model() -> LocalEmbeddingModel:
    global _local_model
    if _local_model is None:
        with _model_lock:
            if _local_model is None:
                _local_model = LocalEmbeddingModel.load(
                    settings.EMBEDDING_MODEL_DIR, threads=settings.EMBEDDING_THREADS
                )
    return _local_model


def _embed_local(texts: list[str]) -> list[list[float]]:
    return _load_local_model().embed(texts)


def _embed_openai(texts: list[str]) -> list[list[float]]:
    client = OpenAI(
        api_key=settings.OPENAI_API_KEY or "not-set",
        base_url=settings.OPENAI_BASE_URL,
        timeout=20.0,
        max_retries=1,
    )
    try:
        response = client.embeddings.create(
            model=settings.OPENAI_EMBEDDING_MODEL,
            input=texts,
            dimensions=settings.EMBEDDING_DIMENSIONS,
        )
    except (APIConnectionError, RateLimitError, InternalServerError) as exc:
        raise EmbeddingUnavailable(f"OpenAI embeddings unavailable: {exc}") from exc
    except OpenAIError as exc:
        raise EmbeddingError(f"OpenAI embeddings failed: {exc}") from exc
    return [item.embedding for item in sorted(response.data, key=lambda item: item.index)]


def embed_texts(texts: list[str]) -> list[list[float]]:
    """Embed texts with the configured backend; vectors are unit length, 384 floats each."""
    if not texts:
        return []
    if settings.EMBEDDING_BACKEND == "openai":
        return _embed_openai(texts)
    return _embed_local(texts)


@lru_cache(maxsize=2048)
def _embed_query_cached(model_name: str, text: str) -> tuple[float, ...]:
    key = f"embeddings:query:{content_hash(model_name, text)}"
    packed = cache.get(key)
    if packed is not None:
        return tuple(array("f", packed))
    vector = embed_texts([text])[0]
    # float32 bytes: the model's own precision, a quarter of a pickled list of floats.
    cache.set(key, array("f", vector).tobytes(), timeout=QUERY_EMBEDDING_CACHE_SECONDS)
    return tuple(vector)


def embed_query(text: str) -> list[float]:
    """Embed one query: the one query-embedding cache of the project, memoised per process and shared
    across processes through the Django cache (Redis when configured), since queries repeat (standing
    queries, retries, evaluation runs, the same question from many prospects)."""
    return list(_embed_query_cached(embedding_model_name(), text.strip()))


def content_hash(*parts: str) -> str:
    """Stable hash of the text that determines a document's chunks."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()
