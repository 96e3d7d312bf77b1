"""Reading and validating golden datasets, including the optional realistic-message expectations."""

from __future__ import annotations

import json

import pytest

from evaluation.datasets import (
    BUNDLED_DIR,
    DatasetError,
    bundled_datasets,
    first_cases,
    load_dataset,
    resolve_dataset_path,
)


def write_dataset(tmp_path, **expected):
    path = tmp_path / "data.json"
    case = {
        "id": "c1",
        "current_prospect_message": "Hola, ¿cuánto cuesta el plan Standard?",
        "expected": {"intent": "pricing_inquiry", **expected},
    }
    path.write_text(json.dumps([case]))
    return path


def test_optional_expectations_are_read_with_their_defaults(tmp_path):
    given = load_dataset(
        write_dataset(tmp_path, language="ES", forbidden=["90%", "I confirm"], needs_review=True)
    ).cases[0]
    plain = load_dataset(write_dataset(tmp_path)).cases[0]

    assert (given.expected_language, given.forbidden, given.needs_review) == (
        "es",
        ["90%", "I confirm"],
        True,
    )
    assert (plain.expected_language, plain.forbidden, plain.needs_review) == ("en", [], None)


@pytest.mark.parametrize(
    ("expected", "message"),
    [
        ({"language": "spanish"}, r"expected\.language must be an ISO 639-1 code"),
        ({"language": 7}, r"expected\.language must be an ISO 639-1 code"),
        ({"forbidden": "great question"}, r"expected\.forbidden must be a list of non-empty strings"),
        ({"forbidden": ["ok", ""]}, r"expected\.forbidden must be a list of non-empty strings"),
        ({"forbidden": [3]}, r"expected\.forbidden must be a list of non-empty strings"),
        ({"needs_review": "yes"}, r"expected\.needs_review must be true or false"),
        ({"needs_review": 1}, r"expected\.needs_review must be true or false"),
        ({"key_facts": "$49"}, r"expected\.key_facts must be a list"),
    ],
)
def test_a_wrong_type_is_a_clear_error_naming_the_case(tmp_path, expected, message):
    with pytest.raises(DatasetError, match=rf"case c1: {message}"):
        load_dataset(write_dataset(tmp_path, **expected))


def test_realistic_dev_is_bundled_and_labels_languages_forbidden_content_and_review():
    dataset = load_dataset(resolve_dataset_path("realistic_dev"))

    assert dataset.path.parent == BUNDLED_DIR
    assert len(dataset.cases) == 40
    assert {case.expected_language for case in dataset.cases} > {"en", "es"}
    assert any(case.forbidden for case in dataset.cases)
    assert any(case.needs_review for case in dataset.cases)


def test_bundled_datasets_lists_every_json_file_by_name(tmp_path):
    for name in ("b.json", "a.json", "notes.txt"):
        (tmp_path / name).write_text("[]")

    assert [path.name for path in bundled_datasets(tmp_path)] == ["a.json", "b.json"]
    assert "realistic_dev.json" in [path.name for path in bundled_datasets()]
    with pytest.raises(DatasetError, match="no datasets"):
        bundled_datasets(tmp_path / "empty")


def test_first_cases_cuts_a_dataset_and_gives_it_a_hash_of_its_own():
    seed = load_dataset(resolve_dataset_path("seed_golden_dataset"))

    first_four = first_cases(seed, 4)

    assert [case.case_id for case in first_four.cases] == [case.case_id for case in seed.cases[:4]]
    assert first_four.name == seed.name
    # A run on part of a dataset is never compared with a run on all of it, nor on another part.
    assert first_four.sha256 not in {seed.sha256, first_cases(seed, 5).sha256}
    assert first_cases(seed, 4).sha256 == first_four.sha256
    assert first_cases(seed, None) is seed
    assert first_cases(seed, len(seed.cases) + 1) is seed
    with pytest.raises(DatasetError, match="at least 1"):
        first_cases(seed, 0)
