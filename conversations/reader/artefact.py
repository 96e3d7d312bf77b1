"""A trained reader's weights, how they are stored, and how they read a message.

Three heads share the features of ``features.py``:

* the intent head, a multinomial logistic regression whose logits are divided by a temperature fitted
  on cross-validated predictions, so its probabilities are calibrated;
* the scope head, a logistic regression of out-of-scope messages against every in-scope example,
  whose logit is combined with how close the message comes to the company's knowledge base in its
  language (a message about what the company sells lands near some of its documents) by a second
  logistic regression fitted on cross-validated logits. The embedding model is English-only, so any two
  texts in another language look alike: the stack has a separate similarity weight for them;
* the risk head, a multinomial logistic regression of requests the agent must refuse (one class per
  ``RiskKind``) against ``none`` (every intent and out-of-scope example, and look-alike questions),
  temperature-scaled like the intent head, with one threshold per kind chosen in training.

The artefact is a NumPy ``.npz`` archive loaded with ``allow_pickle=False``: a stored reader is data,
never code.
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix

from conversations.reader.features import NGRAM_FEATURES, NGRAM_RANGE, NGRAM_WEIGHT, ngram_row
from knowledge.languages import DEFAULT_LANGUAGE

ARTEFACT_FORMAT = 2
_META_KEYS = frozenset(
    {
        "format",
        "intents",
        "temperature",
        "scope_threshold",
        "scope_bias",
        "embedding_model",
        "ngram_features",
        "ngram_range",
        "ngram_weight",
        "risk_labels",
        "risk_temperature",
        "risk_thresholds",
    }
)


class IncompatibleArtefact(ValueError):
    """The stored artefact was written for other features or another format; retrain."""


def sigmoid(value: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(value, dtype=np.float64)))


_recent_ngrams: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
_RECENT_TEXTS = 64
_recent_lock = threading.Lock()


def recent_ngram_row(text: str) -> tuple[np.ndarray, np.ndarray]:
    """``ngram_row``, kept for the next few reads: a turn reads its message several times (intents, the
    leading question, scope), and hashing its n-grams is most of a read's cost."""
    with _recent_lock:
        row = _recent_ngrams.get(text)
    if row is None:
        row = ngram_row(text)
        with _recent_lock:
            _recent_ngrams[text] = row
            while len(_recent_ngrams) > _RECENT_TEXTS:
                _recent_ngrams.popitem(last=False)
    return row


def stack_features(
    scope_logits: np.ndarray, similarities: np.ndarray, languages: Sequence[str]
) -> np.ndarray:
    """The scope stack's inputs: the scope head's logit, the knowledge similarity, and the similarity and
    a constant again for a message not in English (where the similarity means less)."""
    other = np.asarray([language != DEFAULT_LANGUAGE for language in languages], dtype=np.float64)
    return np.column_stack([scope_logits, similarities, similarities * other, other])


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _read_head(
    dense: np.ndarray,
    ngrams: np.ndarray,
    bias: np.ndarray,
    temperature: float,
    labels: Sequence[str],
    vector: Sequence[float] | np.ndarray,
    text: str,
) -> dict[str, float]:
    """One text's calibrated probabilities from a multinomial head split at the embedding's width: a
    dense product with its embedding plus a gather of the few n-gram columns it has."""
    indices, values = recent_ngram_row(text)
    logits = dense @ np.asarray(vector, np.float32) + values @ ngrams[indices]
    probabilities = softmax((logits + bias).astype(np.float64) / temperature)
    return {label: float(p) for label, p in zip(labels, probabilities, strict=True)}


@dataclass
class Reader:
    intents: list[str]
    intent_weights: np.ndarray  # (intents, features)
    intent_bias: np.ndarray  # (intents,)
    temperature: float
    scope_weights: np.ndarray  # (features,)
    scope_bias: float
    # P(out of scope) = sigmoid(w . stack_features(scope logit, knowledge similarity, language) + c)
    scope_stack: np.ndarray  # (w..., c)
    embedding_model: str
    version: int = 0
    metadata: dict[str, object] = field(default_factory=dict)
    # P(out of scope) at or above which a message is read as out of scope: chosen in training so the
    # cross-validated share of in-scope examples flagged stays within budget (training.py).
    scope_threshold: float = 0.5
    # The risk head (empty for a reader trained without risk examples): labels, ``none`` first.
    risk_labels: list[str] = field(default_factory=list)
    risk_weights: np.ndarray | None = None  # (labels, features)
    risk_bias: np.ndarray | None = None  # (labels,)
    risk_temperature: float = 1.0
    # P(kind) at or above which a message is read as that risk: chosen in training so the
    # cross-validated share of ordinary messages read as it stays within budget (training.py).
    risk_thresholds: dict[str, float] = field(default_factory=dict)

    def intent_probabilities(self, features: csr_matrix) -> np.ndarray:
        """Calibrated probabilities, one row per text, columns in ``self.intents`` order."""
        logits = features @ self.intent_weights.T + self.intent_bias
        return softmax(np.asarray(logits, dtype=np.float64) / self.temperature)

    def scope_logits(self, features: csr_matrix) -> np.ndarray:
        return np.asarray(features @ self.scope_weights + self.scope_bias, dtype=np.float64).ravel()

    def out_of_scope_probability(
        self, scope_logit: float, knowledge_similarity: float, language: str = DEFAULT_LANGUAGE
    ) -> float:
        features = stack_features(np.asarray([scope_logit]), np.asarray([knowledge_similarity]), [language])[
            0
        ]
        return float(sigmoid(features @ self.scope_stack[:-1] + self.scope_stack[-1]))

    def __post_init__(self) -> None:
        # The weights split at the embedding's width: one text is read as a dense product with its
        # embedding plus a gather of the few n-gram columns it has, without building a feature row.
        width = self.intent_weights.shape[1] - NGRAM_FEATURES
        self._intent_dense = np.ascontiguousarray(self.intent_weights[:, :width])
        self._intent_ngrams = np.ascontiguousarray(self.intent_weights[:, width:].T)
        self._scope_dense = np.ascontiguousarray(self.scope_weights[:width])
        self._scope_ngrams = np.ascontiguousarray(self.scope_weights[width:])
        if self.risk_weights is not None:
            self._risk_dense = np.ascontiguousarray(self.risk_weights[:, :width])
            self._risk_ngrams = np.ascontiguousarray(self.risk_weights[:, width:].T)

    def read_intents(self, vector: Sequence[float] | np.ndarray, text: str) -> dict[str, float]:
        """One text's intent probabilities by name (the same as ``intent_probabilities`` of its row)."""
        return _read_head(
            self._intent_dense,
            self._intent_ngrams,
            self.intent_bias,
            self.temperature,
            self.intents,
            vector,
            text,
        )

    def scope_logit(self, vector: Sequence[float] | np.ndarray, text: str) -> float:
        indices, values = recent_ngram_row(text)
        logit = self._scope_dense @ np.asarray(vector, np.float32) + values @ self._scope_ngrams[indices]
        return float(logit + self.scope_bias)

    def risk_probabilities(self, features: csr_matrix) -> np.ndarray:
        """Calibrated risk probabilities, one row per text, columns in ``self.risk_labels`` order."""
        assert self.risk_weights is not None
        assert self.risk_bias is not None
        logits = features @ self.risk_weights.T + self.risk_bias
        return softmax(np.asarray(logits, dtype=np.float64) / self.risk_temperature)

    def read_risks(self, vector: Sequence[float] | np.ndarray, text: str) -> dict[str, float]:
        """One text's risk probabilities by label (``none`` included); empty without a risk head."""
        if self.risk_weights is None or self.risk_bias is None:
            return {}
        return _read_head(
            self._risk_dense,
            self._risk_ngrams,
            self.risk_bias,
            self.risk_temperature,
            self.risk_labels,
            vector,
            text,
        )

    def to_bytes(self) -> bytes:
        meta = {
            "format": ARTEFACT_FORMAT,
            "intents": self.intents,
            "temperature": self.temperature,
            "scope_bias": self.scope_bias,
            "embedding_model": self.embedding_model,
            "ngram_features": NGRAM_FEATURES,
            "ngram_range": list(NGRAM_RANGE),
            "ngram_weight": NGRAM_WEIGHT,
            "scope_threshold": self.scope_threshold,
            "risk_labels": self.risk_labels,
            "risk_temperature": self.risk_temperature,
            "risk_thresholds": self.risk_thresholds,
            **self.metadata,
        }
        arrays: dict[str, np.ndarray] = {
            "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
            "intent_weights": self.intent_weights.astype(np.float32),
            "intent_bias": self.intent_bias.astype(np.float32),
            "scope_weights": self.scope_weights.astype(np.float32),
            "scope_stack": self.scope_stack.astype(np.float64),
        }
        if self.risk_weights is not None and self.risk_bias is not None:
            arrays["risk_weights"] = self.risk_weights.astype(np.float32)
            arrays["risk_bias"] = self.risk_bias.astype(np.float32)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes | memoryview, *, version: int = 0) -> Reader:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode("utf-8"))
            if (
                meta.get("format") != ARTEFACT_FORMAT
                or meta.get("ngram_features") != NGRAM_FEATURES
                or tuple(meta.get("ngram_range", ())) != NGRAM_RANGE
                or meta.get("ngram_weight") != NGRAM_WEIGHT
            ):
                raise IncompatibleArtefact(
                    f"reader artefact {meta.get('format')!r} does not fit these features"
                )
            extra = {key: value for key, value in meta.items() if key not in _META_KEYS}
            return cls(
                intents=list(meta["intents"]),
                intent_weights=archive["intent_weights"],
                intent_bias=archive["intent_bias"],
                temperature=float(meta["temperature"]),
                scope_weights=archive["scope_weights"],
                scope_bias=float(meta["scope_bias"]),
                scope_stack=archive["scope_stack"],
                embedding_model=str(meta["embedding_model"]),
                version=version,
                metadata=extra,
                # Artefacts trained before the threshold was learned used a fixed 0.5.
                scope_threshold=float(meta.get("scope_threshold", 0.5)),
                # Artefacts trained before the risk head have none (no risk is read until retrained).
                risk_labels=list(meta.get("risk_labels", [])) if "risk_weights" in archive else [],
                risk_weights=archive.get("risk_weights"),
                risk_bias=archive.get("risk_bias"),
                risk_temperature=float(meta.get("risk_temperature", 1.0)),
                risk_thresholds={str(k): float(v) for k, v in meta.get("risk_thresholds", {}).items()},
            )
