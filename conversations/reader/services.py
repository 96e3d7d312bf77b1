"""Training and storing the reader from what staff edit.

The training data is every active intent's examples (embedded when the intent was saved), accepted
training examples (out-of-scope messages and reviewers' corrections) and the knowledge base's chunk
embeddings. A digest of all of it decides whether training would change anything: an unchanged
digest keeps the active reader (``force`` trains anyway).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from company.selectors import current_vocabulary
from conversations.intents import intent_examples_embed_missing, reader_retrain_later, text_hash
from conversations.models import Intent, IntentExample, ReaderModel, TrainingExample
from conversations.reader.artefact import ARTEFACT_FORMAT
from conversations.reader.company_examples import company_examples
from conversations.reader.features import NGRAM_FEATURES, NGRAM_RANGE, NGRAM_WEIGHT
from conversations.reader.heads import RISK_C, RISK_CLASS_SHARE, RISK_FLAG_BUDGET
from conversations.reader.training import (
    INTENT_C,
    OUT_OF_SCOPE_ACT_WEIGHT,
    REVIEWED_EXAMPLE_WEIGHT,
    SCOPE_C,
    STACK_C,
    TrainingSet,
    train_reader,
)
from knowledge.embeddings import embed_texts, embedding_model_name
from knowledge.models import EMBEDDING_DIMENSIONS, Chunk

logger = logging.getLogger(__name__)
# Two trainings at once would race for the next version number; the second waits for the first.
_TRAINING_LOCK_KEY = 0x5EAD_E4


@dataclass(frozen=True)
class TrainingOutcome:
    reader: ReaderModel
    trained: bool  # False: the data had not changed, the active reader was kept


def _embed_missing_training_examples(model: str) -> None:
    missing = list(
        TrainingExample.objects.filter(status=TrainingExample.Status.ACCEPTED).exclude(embedding_model=model)
    )
    if not missing:
        return
    vectors = embed_texts([example.text for example in missing])
    for example, vector in zip(missing, vectors, strict=True):
        example.embedding = vector
        example.embedding_model = model
    TrainingExample.objects.bulk_update(missing, ["embedding", "embedding_model"])


def reader_training_set() -> TrainingSet:
    """Everything the reader learns from, as the database holds it now."""
    model = embedding_model_name()
    intent_examples_embed_missing(model)
    _embed_missing_training_examples(model)
    rows = list(
        IntentExample.objects.filter(intent__is_active=True, is_description=False, embedding_model=model)
        .order_by("intent__name", "id")
        .values_list("intent__name", "text", "embedding", "language")
    )
    accepted = TrainingExample.objects.filter(status=TrainingExample.Status.ACCEPTED, embedding_model=model)
    corrections = list(
        accepted.filter(kind=TrainingExample.Kind.INTENT, intent__is_active=True)
        .order_by("id")
        .values_list("intent__name", "text", "embedding", "language")
    )
    out_of_scope = list(
        accepted.filter(kind=TrainingExample.Kind.OUT_OF_SCOPE)
        .order_by("id")
        .values_list("text", "embedding", "language", "intent__name", "intent__is_active")
    )
    risks = list(
        accepted.filter(kind=TrainingExample.Kind.RISK)
        .order_by("id")
        .values_list("risk", "text", "embedding")
    )
    knowledge = list(
        Chunk.objects.filter(document__is_active=True, embedding_model=model)
        .order_by("id")
        .values_list("embedding", "document__language")
    )
    # The company's own names in the intents that ask about them (filled templates, embedded here).
    vocabulary = current_vocabulary()
    generated = company_examples(vocabulary, {name for name, _, _, _ in rows})
    generated_vectors = embed_texts([text for _, text, _ in generated]) if generated else []
    in_scope = (
        rows
        + corrections
        + [
            (intent, text, list(vector), language)
            for (intent, text, language), vector in zip(generated, generated_vectors, strict=True)
        ]
    )

    def matrix(vectors: list) -> np.ndarray:
        return np.asarray(vectors, dtype=np.float32).reshape(len(vectors), EMBEDDING_DIMENSIONS)

    return TrainingSet(
        texts=[text for _, text, _, _ in in_scope],
        vectors=matrix([vector for _, _, vector, _ in in_scope]),
        intents=[name for name, _, _, _ in in_scope],
        out_of_scope_texts=[text for text, *_ in out_of_scope],
        out_of_scope_vectors=matrix([vector for _, vector, *_ in out_of_scope]),
        out_of_scope_intents=[intent if active else None for *_, intent, active in out_of_scope],
        knowledge_vectors=matrix([vector for vector, _ in knowledge]),
        embedding_model=model,
        languages=[language for _, _, _, language in in_scope],
        out_of_scope_languages=[language for _, _, language, *_ in out_of_scope],
        knowledge_languages=[language for _, language in knowledge],
        # Reviewers' corrections are real messages of this company's prospects: they count more.
        weights=np.r_[
            np.ones(len(rows)),
            np.full(len(corrections), REVIEWED_EXAMPLE_WEIGHT),
            np.ones(len(in_scope) - len(rows) - len(corrections)),
        ],
        risk_texts=[text for _, text, _ in risks],
        risk_vectors=matrix([vector for _, _, vector in risks]),
        risk_labels=[label for label, _, _ in risks],
    )


def training_digest(data: TrainingSet, *, seed: int, folds: int) -> str:
    """Changes when anything the reader would learn from, or how it learns, changes."""
    digest = hashlib.sha256()
    settings_part = (
        ARTEFACT_FORMAT,
        NGRAM_FEATURES,
        NGRAM_RANGE,
        NGRAM_WEIGHT,
        INTENT_C,
        SCOPE_C,
        STACK_C,
        REVIEWED_EXAMPLE_WEIGHT,
        RISK_C,
        RISK_CLASS_SHARE,
        RISK_FLAG_BUDGET,
        OUT_OF_SCOPE_ACT_WEIGHT,
        seed,
        folds,
    )
    digest.update(repr((data.embedding_model, settings_part)).encode())
    for name, text in zip(data.intents, data.texts, strict=True):
        digest.update(f"i\x00{name}\x00{text}\x00".encode())
    acts = data.out_of_scope_intents or [None] * len(data.out_of_scope_texts)
    for text, act in zip(data.out_of_scope_texts, acts, strict=True):
        digest.update(f"o\x00{text}\x00{act or ''}\x00".encode())
    for label, text in zip(data.risk_labels, data.risk_texts, strict=True):
        digest.update(f"r\x00{label}\x00{text}\x00".encode())
    digest.update(repr((data.languages, data.out_of_scope_languages, data.knowledge_languages)).encode())
    digest.update(np.ascontiguousarray(data.knowledge_vectors.round(4)).tobytes())
    return digest.hexdigest()


def active_reader_model() -> ReaderModel | None:
    return ReaderModel.objects.filter(is_active=True).order_by("-version").first()


def next_reader_version() -> int:
    """A version no reader has had, even one whose training was rolled back: a process may have loaded
    that one under its number, so numbers come from a sequence, which a rollback does not rewind."""
    latest = ReaderModel.objects.aggregate(latest=Max("version"))["latest"] or 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [ReaderModel._meta.db_table])
        drawn = int(cursor.fetchone()[0])
    return max(latest + 1, drawn)


def reader_train(*, force: bool = False, seed: int = 0) -> TrainingOutcome | None:
    """Train a reader on the current data and make it the active one; None when there is nothing to learn
    from (fewer than two intents with examples)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_TRAINING_LOCK_KEY])
        data = reader_training_set()
        if len(set(data.intents)) < 2:
            logger.info("reader not trained: fewer than two intents have examples")
            return None
        folds = settings.READER_CV_FOLDS
        digest = training_digest(data, seed=seed, folds=folds)
        active = active_reader_model()
        if active is not None and active.training_digest == digest and not force:
            return TrainingOutcome(active, trained=False)
        started = time.perf_counter()
        reader, metrics = train_reader(data, seed=seed, folds=folds)
        seconds = time.perf_counter() - started
        version = next_reader_version()
        ReaderModel.objects.filter(is_active=True).update(is_active=False)
        stored = ReaderModel.objects.create(
            version=version,
            is_active=True,
            artefact=reader.to_bytes(),
            training_digest=digest,
            embedding_model=data.embedding_model,
            example_counts={
                "in_scope": len(data.texts),
                "out_of_scope": len(data.out_of_scope_texts),
                "risk": len(data.risk_texts),
                "intents": len(set(data.intents)),
                "knowledge_chunks": len(data.knowledge_vectors),
            },
            metrics=metrics,
            training_seconds=round(seconds, 2),
        )
    logger.info(
        "trained reader v%d in %.1f s (cross-validated intent accuracy %s)",
        version,
        seconds,
        metrics.get("intent", {}).get("accuracy"),
    )
    return TrainingOutcome(stored, trained=True)


def training_examples_load(
    examples: list[dict[str, str]], *, kind: str, source: str = TrainingExample.Source.SEED
) -> int:
    """Add bundled or imported examples that are not stored yet (by text); returns how many were added.

    A risk example carries its label in ``risk``; an out-of-scope one may carry its act's intent name in
    ``intent`` (set on a stored bundled example that has none yet). An example staff stored or edited
    is left as they have it.
    """
    intents = dict(Intent.objects.values_list("name", "pk"))
    # Every stored example of this kind, by text (one query): what is there is not added again.
    stored = {
        row.text_hash: row
        for row in TrainingExample.objects.filter(kind=kind).only("id", "text_hash", "intent", "source")
    }
    existing = set(stored)
    # Only an out-of-scope example names an intent (what it asks for); a risk example never does.
    has_acts = kind == TrainingExample.Kind.OUT_OF_SCOPE
    new, labelled = [], []
    for example in examples:
        text = str(example["text"]).strip()
        key = text_hash(text)
        intent_id = intents.get(str(example.get("intent", ""))) if has_acts else None
        if not text:
            continue
        if key in existing:
            row = stored.get(key)
            if row is not None and row.intent_id is None and intent_id and row.source == source:
                row.intent_id = intent_id
                labelled.append(row)
            continue
        existing.add(key)
        new.append(
            TrainingExample(
                text=text,
                text_hash=key,
                language=str(example.get("language", "en")),
                kind=kind,
                intent_id=intent_id,
                risk=str(example.get("risk", "")),
                status=TrainingExample.Status.ACCEPTED,
                source=source,
            )
        )
    TrainingExample.objects.bulk_create(new)
    TrainingExample.objects.bulk_update(labelled, ["intent"])
    return len(new)


@transaction.atomic
def training_examples_review(examples: list[TrainingExample], *, status: str, saving: bool = False) -> int:
    """Set the status of ``examples`` (saving edits too when ``saving``); the reader retrains after commit
    when accepted training data changed. Returns how many examples changed."""
    changed = 0
    retrain = False
    # Which of them are accepted as stored now (one query): editing or rejecting those changes training too.
    accepted = set(
        TrainingExample.objects.filter(
            pk__in=[example.pk for example in examples if example.pk], status=TrainingExample.Status.ACCEPTED
        ).values_list("pk", flat=True)
    )
    for example in examples:
        example.text = example.text.strip()
        example.text_hash = text_hash(example.text)
        was_accepted = example.pk in accepted
        if example.status == status and not saving:
            continue
        example.status = status
        example.save()
        changed += 1
        retrain = retrain or was_accepted or status == TrainingExample.Status.ACCEPTED
    if retrain:
        reader_retrain_later()
    return changed
