"""Golden datasets: finding, reading and validating them (format in SPEC.md, "Evaluation contract")."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils.dateparse import parse_datetime

from conversations.agent.types import HistoryMessage

BUNDLED_DIR = Path(__file__).resolve().parent / "datasets"
DEFAULT_DATASET = BUNDLED_DIR / "dev_dataset.json"


class DatasetError(ValueError):
    """The dataset file is missing, not JSON, or has a case that does not follow the format."""


@dataclass(frozen=True)
class GoldenCase:
    case_id: str
    message: str
    history: list[HistoryMessage]
    prospect_id: str | None
    expected: dict[str, Any]
    message_timestamp: datetime | None = None

    @property
    def expected_action(self) -> str:
        steps = self.expected.get("internal_next_steps") or []
        return steps[0].get("action", "") if steps else ""


@dataclass(frozen=True)
class Dataset:
    name: str
    path: Path
    sha256: str
    cases: list[GoldenCase] = field(default_factory=list)


def resolve_dataset_path(value: str | None) -> Path:
    """A path as given, or the name of a bundled dataset (``dev_dataset``, ``seed_golden_dataset``,
    ``challenge_dataset``)."""
    if not value:
        return DEFAULT_DATASET
    path = Path(value)
    if path.exists():
        return path
    bundled = BUNDLED_DIR / (value if value.endswith(".json") else f"{value}.json")
    if bundled.exists():
        return bundled
    raise DatasetError(f"dataset not found: {value}")


def _timestamp(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise DatasetError(f"{where}: timestamp {value!r} is not ISO 8601")
    return parsed


def _parse_case(raw: Any, index: int) -> GoldenCase:
    where = f"case {index}"
    if not isinstance(raw, dict):
        raise DatasetError(f"{where}: expected an object")
    case_id = str(raw.get("id") or f"case_{index:03d}")
    where = f"case {case_id}"
    current = raw.get("current_prospect_message")
    timestamp = None
    if isinstance(current, dict):
        timestamp = _timestamp(current.get("timestamp"), where)
        current = current.get("content")
    if not isinstance(current, str) or not current.strip():
        raise DatasetError(f"{where}: current_prospect_message must be a non-empty string or message object")
    history = []
    for item in raw.get("conversation_history") or []:
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            raise DatasetError(f"{where}: conversation_history items need sender and content")
        history.append(
            HistoryMessage(
                sender=item.get("sender") or "prospect",
                content=item["content"],
                timestamp=_timestamp(item.get("timestamp"), where),
            )
        )
    expected = raw.get("expected")
    if not isinstance(expected, dict) or not expected.get("intent"):
        raise DatasetError(f"{where}: expected.intent is required")
    return GoldenCase(
        case_id=case_id,
        message=current.strip(),
        history=history,
        prospect_id=raw.get("prospect_id") or None,
        expected=expected,
        message_timestamp=timestamp,
    )


def load_dataset(path: Path) -> Dataset:
    """Read and validate a golden dataset; raises :class:`DatasetError` with the offending case."""
    try:
        content = path.read_bytes()
        raw = json.loads(content)
    except OSError as error:
        raise DatasetError(f"cannot read {path}: {error.strerror}") from error
    except ValueError as error:
        raise DatasetError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(raw, list) or not raw:
        raise DatasetError(f"{path} must hold a non-empty JSON list of cases")
    cases = [_parse_case(item, index) for index, item in enumerate(raw, start=1)]
    ids = [case.case_id for case in cases]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{path} has duplicate case ids")
    return Dataset(name=path.stem, path=path, sha256=hashlib.sha256(content).hexdigest(), cases=cases)
