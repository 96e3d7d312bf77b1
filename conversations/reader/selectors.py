"""The active reader, loaded once per process and version.

Each turn reads the active reader's version with the rest of its reference data (one statement,
``conversations/agent/reference_data.py``); a process loads the artefact only when that version is new
to it, so a retrained reader is in use on the next turn in every process.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from conversations.models import ReaderModel
from conversations.reader.artefact import IncompatibleArtefact, Reader

logger = logging.getLogger(__name__)

_loaded: Reader | None = None
_lock = threading.Lock()


def reader_for(version: int | None) -> Reader | None:
    """The stored reader of ``version`` (the active one a turn read), or None when none is trained."""
    global _loaded
    if version is None:
        return None
    if _loaded is not None and _loaded.version == version:
        return _loaded
    with _lock:
        if _loaded is not None and _loaded.version == version:
            return _loaded
        artefact = ReaderModel.objects.filter(version=version).values_list("artefact", flat=True).first()
        if artefact is None:
            return None
        try:
            _loaded = Reader.from_bytes(artefact, version=version)
        except IncompatibleArtefact:
            logger.warning(
                "reader v%d was trained for other features; retrain it (manage.py train_reader)", version
            )
            return None
        return _loaded


@dataclass(frozen=True)
class IntentQuality:
    name: str
    precision: float
    recall: float
    support: int
    # The intents its examples were most often mistaken for under cross-validation: (intent, count).
    confused_with: list[tuple[str, int]]


@dataclass(frozen=True)
class RiskQuality:
    """How the risk head reads one kind of request to refuse, cross-validated at its threshold."""

    kind: str
    precision: float
    recall: float
    support: int
    threshold: float


@dataclass(frozen=True)
class ReaderQuality:
    """How the active reader scored under cross-validation, for staff next to the intents."""

    version: int
    created_at: datetime
    accuracy: float | None
    macro_f1: float | None
    ece: float | None
    in_scope_flagged: float | None
    out_of_scope_caught: float | None
    example_counts: dict[str, int]
    intents: list[IntentQuality]
    confusion_labels: list[str]
    confusion: list[list[int]]
    risks: list[RiskQuality]
    risk_ece: float | None
    ordinary_read_as_risk: float | None


def reader_quality() -> ReaderQuality | None:
    """The active reader's cross-validated figures (one query), or None when none is trained."""
    row = (
        ReaderModel.objects.filter(is_active=True)
        .order_by("-version")
        .values("version", "created_at", "metrics", "example_counts")
        .first()
    )
    if row is None:
        return None
    intent = row["metrics"].get("intent", {})
    scope = row["metrics"].get("scope", {})
    risk = row["metrics"].get("risk", {})
    labels = intent.get("confusion", {}).get("labels", [])
    matrix = intent.get("confusion", {}).get("matrix", [])
    intents = []
    for i, name in enumerate(labels):
        figures = intent.get("per_intent", {}).get(name, {})
        mistaken = sorted(
            ((labels[j], count) for j, count in enumerate(matrix[i]) if j != i and count),
            key=lambda item: -item[1],
        )
        intents.append(
            IntentQuality(
                name=name,
                precision=figures.get("precision", 0.0),
                recall=figures.get("recall", 0.0),
                support=figures.get("support", 0),
                confused_with=mistaken[:3],
            )
        )
    return ReaderQuality(
        version=row["version"],
        created_at=row["created_at"],
        accuracy=intent.get("accuracy"),
        macro_f1=intent.get("macro_f1"),
        ece=intent.get("ece"),
        in_scope_flagged=scope.get("in_scope_flagged"),
        out_of_scope_caught=scope.get("out_of_scope_caught"),
        example_counts=row["example_counts"],
        intents=intents,
        confusion_labels=labels,
        confusion=matrix,
        risks=[
            RiskQuality(
                kind=kind,
                precision=figures.get("precision", 0.0),
                recall=figures.get("recall", 0.0),
                support=figures.get("support", 0),
                threshold=figures.get("threshold", 0.0),
            )
            for kind, figures in risk.get("per_kind", {}).items()
        ],
        risk_ece=risk.get("ece"),
        ordinary_read_as_risk=risk.get("ordinary_flagged"),
    )
