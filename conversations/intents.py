"""Writes for intents: saving one keeps its examples' stored embeddings in step with its text.

The classifier reads the embeddings from :class:`~conversations.models.IntentExample` rows, so no
process embeds the examples itself; an edit re-embeds only the examples that are new (by text hash
and embedding model) and deletes the rows of examples that were removed.
"""

from __future__ import annotations

import hashlib
import logging

from django.db import transaction

from conversations.models import Intent, IntentExample
from knowledge.embeddings import embed_texts, embedding_model_name
from knowledge.languages import DEFAULT_LANGUAGE, classify_language

logger = logging.getLogger(__name__)
# Examples are short; below this the detector's guess is not worth trusting over English.
EXAMPLE_LANGUAGE_CONFIDENCE = 0.5


def text_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def example_language(text: str) -> str:
    """The language an example is written in; English unless the detector is fairly sure."""
    code, probability = classify_language(text)
    return code if probability >= EXAMPLE_LANGUAGE_CONFIDENCE else DEFAULT_LANGUAGE


def _wanted_texts(intent: Intent) -> dict[tuple[str, bool], str]:
    wanted = {
        (text_hash(str(example)), False): str(example).strip()
        for example in intent.examples or []
        if str(example).strip()
    }
    if intent.description.strip():
        wanted[(text_hash(intent.description), True)] = intent.description.strip()
    return wanted


@transaction.atomic
def intent_examples_sync(*, intent: Intent) -> int:
    """Make the intent's stored example embeddings match its examples; returns how many were embedded."""
    model = embedding_model_name()
    wanted = _wanted_texts(intent)
    rows = IntentExample.objects.select_for_update().filter(intent=intent)
    stored = {(row.text_hash, row.is_description): row.pk for row in rows.filter(embedding_model=model)}
    stale = [pk for key, pk in stored.items() if key not in wanted]
    rows.exclude(embedding_model=model).delete()
    IntentExample.objects.filter(pk__in=stale).delete()
    missing = [(key, text) for key, text in wanted.items() if key not in stored]
    if missing:
        vectors = embed_texts([text for _, text in missing])
        IntentExample.objects.bulk_create(
            IntentExample(
                intent=intent,
                text=text,
                text_hash=key[0],
                is_description=key[1],
                language=example_language(text),
                embedding=vector,
                embedding_model=model,
            )
            for (key, text), vector in zip(missing, vectors, strict=True)
        )
        logger.info("embedded %d example(s) of intent %s", len(missing), intent.name)
    return len(missing)


def intent_examples_embed_missing(model: str) -> None:
    """Embed every active intent whose examples have no rows for ``model`` yet (a new embedding
    backend, rows written before this table existed)."""
    embedded = set(
        IntentExample.objects.filter(embedding_model=model).values_list("intent_id", flat=True).distinct()
    )
    for intent in Intent.objects.filter(is_active=True).exclude(pk__in=embedded).order_by("name"):
        if intent.examples or intent.description:
            intent_examples_sync(intent=intent)


def reader_retrain_later() -> None:
    """Retrain the reader once the current transaction commits (in a worker when a broker is set)."""
    from conversations.tasks import train_reader_task

    transaction.on_commit(lambda: train_reader_task.delay())


@transaction.atomic
def intent_save(*, intent: Intent, retrain: bool = True) -> Intent:
    """Save a new or edited intent, re-embed what changed in its examples and (after commit) retrain
    the reader, which does nothing when its training data did not change. A bulk load passes
    ``retrain=False`` and trains once at the end."""
    intent.save()
    intent_examples_sync(intent=intent)
    if retrain:
        reader_retrain_later()
    return intent
