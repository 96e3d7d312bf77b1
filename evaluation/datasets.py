"""Golden datasets: finding, reading and validating them (format in SPEC.md, "Evaluation contract")."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils.dateparse import parse_datetime

from conversations.agent.types import HistoryMessage
from evaluation.metrics import DEFAULT_REPLY_LANGUAGE

BUNDLED_DIR = Path(__file__).resolve().parent / "datasets"
DEFAULT_DATASET = BUNDLED_DIR / "dev_dataset.json"
_LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2}$")


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

    @property
    def expected_language(self) -> str:
        """The language the reply must be written in (ISO 639-1)."""
        return str(self.expected.get("language") or DEFAULT_REPLY_LANGUAGE).lower()

    @property
    def forbidden(self) -> list[str]:
        """Strings the draft must not contain (compared case-insensitively)."""
        return list(self.expected.get("forbidden") or [])

    @property
    def needs_review(self) -> bool | None:
        """Whether the turn must be flagged for human review; None when the case does not say."""
        value = self.expected.get("needs_review")
        return None if value is None else bool(value)


@dataclass(frozen=True)
class Dataset:
    name: str
    path: Path
    sha256: str
    cases: list[GoldenCase] = field(default_factory=list)


def resolve_dataset_path(value: str | None) -> Path:
    """A path as given, or the name of a bundled dataset (``dev_dataset``, ``seed_golden_dataset``,
    ``challenge_dataset``, ``realistic_dev``)."""
    if not value:
        return DEFAULT_DATASET
    path = Path(value)
    if path.exists():
        return path
    bundled = BUNDLED_DIR / (value if value.endswith(".json") else f"{value}.json")
    if bundled.exists():
        return bundled
    raise DatasetError(f"dataset not found: {value}")


def bundled_datasets(directory: Path = BUNDLED_DIR) -> list[Path]:
    """Every dataset file (``*.json``) in ``directory``, by name."""
    paths = sorted(directory.glob("*.json"))
    if not paths:
        raise DatasetError(f"no datasets (*.json) in {directory}")
    return paths


def _timestamp(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise DatasetError(f"{where}: timestamp {value!r} is not ISO 8601")
    return parsed


def _check_string_list(value: Any, where: str, name: str) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise DatasetError(f"{where}: expected.{name} must be a list of non-empty strings, got {value!r}")


def _check_optional_expectations(expected: dict[str, Any], where: str) -> None:
    """The optional expectations have the right types (a wrong one would silently skew a metric)."""
    for name in ("key_facts", "sources", "forbidden"):
        if expected.get(name) is not None:
            _check_string_list(expected[name], where, name)
    language = expected.get("language")
    if language is not None and (
        not isinstance(language, str) or not _LANGUAGE_CODE_RE.match(language.lower())
    ):
        raise DatasetError(
            f'{where}: expected.language must be an ISO 639-1 code such as "es", got {language!r}'
        )
    needs_review = expected.get("needs_review")
    if needs_review is not None and not isinstance(needs_review, bool):
        raise DatasetError(f"{where}: expected.needs_review must be true or false, got {needs_review!r}")


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
    _check_optional_expectations(expected, where)
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


def first_cases(dataset: Dataset, limit: int | None) -> Dataset:
    """The dataset cut to its first ``limit`` cases (all of them when ``limit`` is None or not smaller).

    A cut dataset gets a hash of its own, so ``--compare`` never takes a run on part of a dataset for
    a run on all of it."""
    if limit is None or limit >= len(dataset.cases):
        return dataset
    if limit < 1:
        raise DatasetError(f"the limit must be at least 1, not {limit}")
    sha256 = hashlib.sha256(f"{dataset.sha256}:first {limit}".encode()).hexdigest()
    return Dataset(name=dataset.name, path=dataset.path, sha256=sha256, cases=dataset.cases[:limit])
