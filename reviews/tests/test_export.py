"""``manage.py export_eval_cases``: reviewed turns become a dataset that ``run_eval`` loads and runs."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apikeys.access import SYSTEM
from conversations.services import turn_process
from evaluation.datasets import load_dataset
from evaluation.runner import run_evaluation
from reviews.models import Feedback, ReviewDecision
from reviews.services import draft_approve, draft_reject, feedback_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(make_draft):
    """An approved draft (edited), a rejected one with a correction, and a rejected one without."""
    approved = make_draft(
        history=(("prospect", "Hi"), ("agent", "Hello! How can I help?")),
        flag_reasons=("unsure",),
        draft="Standard is $49.",
    )
    draft_approve(access=SYSTEM, output_id=approved.pk, text="Standard is $49 per seat per month.")
    corrected = make_draft(message="Do you have a free plan?", intent="pricing_inquiry")
    draft_reject(access=SYSTEM, output_id=corrected.pk, reason="wrong")
    feedback_create(
        access=SYSTEM,
        output_id=corrected.pk,
        reason=Feedback.Reason.INCORRECT,
        corrected_text="There is no free plan, but every plan has a 14-day trial.",
    )
    uncorrected = make_draft(message="Is there an API?")
    draft_reject(access=SYSTEM, output_id=uncorrected.pk, reason="off topic")
    return approved, corrected, uncorrected


def test_export_writes_reviewed_turns_as_a_valid_dataset(reviewed, tmp_path):
    approved, corrected, uncorrected = reviewed
    out = tmp_path / "reviewed.json"

    call_command("export_eval_cases", "--out", str(out), stderr=io.StringIO())

    # The project's loader accepts it, with one case per approved or corrected turn
    dataset = load_dataset(out)
    cases = {case.case_id: case for case in dataset.cases}
    assert set(cases) == {f"review-{approved.pk}", f"review-{corrected.pk}"}
    assert f"review-{uncorrected.pk}" not in cases  # rejected without a correction: nothing to expect
    sent = cases[f"review-{approved.pk}"]
    assert sent.message == "How much is the Standard plan?"
    assert [(h.sender, h.content) for h in sent.history] == [
        ("prospect", "Hi"),
        ("agent", "Hello! How can I help?"),
    ]
    assert sent.prospect_id == "prospect_001"
    assert sent.expected["intent"] == "pricing_inquiry"
    assert sent.expected["suggested_response_draft"] == "Standard is $49 per seat per month."
    assert sent.expected_action == "PROVIDE_PRICING_DETAILS"
    assert [step["action"] for step in sent.expected["internal_next_steps"]] == ["PROVIDE_PRICING_DETAILS"]
    assert sent.needs_review is True  # edited well beyond the small-edit threshold
    fixed = cases[f"review-{corrected.pk}"]
    assert fixed.expected["suggested_response_draft"].startswith("There is no free plan")
    assert fixed.expected["review"]["decision"] == "rejected"
    assert fixed.needs_review is True


def test_export_since_leaves_out_older_decisions(reviewed):
    approved, corrected, _ = reviewed
    ReviewDecision.objects.filter(output=approved).update(decided_at=timezone.now() - timedelta(days=30))
    out = io.StringIO()

    call_command(
        "export_eval_cases", "--since", (timezone.now() - timedelta(days=1)).date().isoformat(), stdout=out
    )

    assert [case["id"] for case in json.loads(out.getvalue())] == [f"review-{corrected.pk}"]


def test_export_with_nothing_reviewed_fails_clearly_and_writes_nothing(tmp_path):
    out = tmp_path / "empty.json"

    with pytest.raises(CommandError, match="No reviewed turns"):
        call_command("export_eval_cases", "--out", str(out))

    assert not out.exists()


def test_exported_real_turns_run_through_run_eval(tmp_path):
    # Given a turn the agent really answered, approved as is
    stored = turn_process(access=SYSTEM, message="Can I pay in installments?", prospect_id="prospect_005")
    draft_approve(access=SYSTEM, output_id=stored.output.pk)
    out = tmp_path / "reviewed.json"

    # When it is exported and evaluated
    call_command("export_eval_cases", "--out", str(out), stderr=io.StringIO())
    run = run_evaluation(load_dataset(out), brain="local")

    # Then the agent reproduces its own approved turn: intent, action and reply
    assert run.case_count == 1
    result = run.case_results.get()
    assert result.intent_correct
    assert result.action_correct
    assert run.metrics["intent_accuracy"] == 1.0
