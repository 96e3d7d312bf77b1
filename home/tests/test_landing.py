"""The staff home page at ``/``: who may see it, and the figures its panels show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apikeys.access import SYSTEM, Access
from conversations.models import AnalysisResult, Conversation
from conversations.services import turn_process
from evaluation.models import EvalRun
from knowledge.models import Document
from reviews.services import draft_approve
from reviews.tests.factories import draft_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    staff = django_user_model.objects.create_user(username="home-staff", password=None, is_staff=True)
    client.force_login(staff)
    return client


def _eval_run(dataset: str, *, hours_ago: float, intent_accuracy: float) -> EvalRun:
    return EvalRun.objects.create(
        dataset_name=dataset,
        dataset_hash="0" * 64,
        brain="local",
        case_count=12,
        metrics={"intent_accuracy": intent_accuracy, "action_accuracy": 0.75, "latency_p50_ms": 41.5},
        started_at=timezone.now() - timedelta(hours=hours_ago),
    )


def _panel(response, slug: str):
    return next(panel for panel in response.context["panels"] if panel.slug == slug)


def test_anonymous_visitors_are_sent_to_the_admin_login_and_back(client):
    # when
    response = client.get("/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/"


def test_signed_in_users_who_are_not_staff_get_403(client, django_user_model):
    # given
    client.force_login(django_user_model.objects.create_user(username="rep", password=None))
    # when
    response = client.get("/")
    # then
    assert response.status_code == 403


def test_the_latest_run_of_each_dataset_links_to_its_report(staff_client):
    # given: two runs of "dev" (only the newer is shown) and one of "challenge"
    older = _eval_run("dev", hours_ago=5, intent_accuracy=0.5)
    newer = _eval_run("dev", hours_ago=1, intent_accuracy=0.8125)
    challenge = _eval_run("challenge", hours_ago=3, intent_accuracy=0.6)
    # when
    response = staff_client.get("/")
    page = response.content.decode()
    # then
    assert response.status_code == 200
    evaluation = _panel(response, "evaluation")
    assert evaluation.slug == "evaluation"
    assert [figures.run for figures in evaluation.data] == [challenge, newer]
    assert f'href="{reverse("evaluation:run-detail", args=[newer.pk])}"' in page
    assert f'href="{reverse("evaluation:run-detail", args=[challenge.pk])}"' in page
    assert f'href="{reverse("evaluation:run-detail", args=[older.pk])}"' not in page
    assert '<td data-metric="Intent accuracy">0.8125</td>' in page
    assert '<td data-metric="Key-fact recall">n/a</td>' in page


def test_index_status_counts_documents_and_links_failed_ones_to_the_admin(staff_client):
    # given: the demo documents (indexed) and one that failed
    failed = Document.objects.create(
        slug="broken-doc",
        title="Broken document",
        body="# Broken",
        index_status=Document.IndexStatus.FAILED,
        index_error="embedding backend unavailable",
    )
    indexed = Document.objects.filter(index_status=Document.IndexStatus.INDEXED).count()
    last = Document.objects.exclude(indexed_at=None).latest("indexed_at").indexed_at
    # when
    response = staff_client.get("/")
    page = response.content.decode()
    # then
    summary = _panel(response, "knowledge-index").data
    assert summary.counts == {"pending": 0, "indexed": indexed, "failed": 1}
    assert summary.last_indexed_at == last
    assert indexed > 0
    assert f'<tr data-status="indexed"><th>Indexed</th><td>{indexed}</td></tr>' in page
    assert f'href="{reverse("admin:knowledge_document_change", args=[failed.pk])}"' in page
    assert "embedding backend unavailable" in page


def test_todays_conversations_and_turns_are_counted(staff_client, django_user_model):
    # given: a turn answered now, and a conversation started yesterday
    access = Access.for_user(django_user_model.objects.get(username="home-staff"))
    turn_process(access=access, message="Can I pay in installments?", prospect_id="prospect_005")
    yesterday = Conversation.objects.create(external_prospect_id="prospect_001")
    Conversation.objects.filter(pk=yesterday.pk).update(created_at=timezone.now() - timedelta(days=1))
    # when
    response = staff_client.get("/")
    page = response.content.decode()
    # then
    activity = _panel(response, "activity").data
    assert (activity.conversations, activity.turns) == (1, 1)
    assert AnalysisResult.objects.count() == 1
    assert '<tr data-figure="turns"><th>Turns answered</th><td>1</td></tr>' in page


def test_the_page_links_to_every_staff_page(staff_client):
    # when
    page = staff_client.get("/").content.decode()
    # then
    for path in ("/admin/", "/playground/", "/api/docs/", "/evaluation/"):
        assert f'href="{path}"' in page


def test_the_page_takes_a_bounded_number_of_queries(staff_client, django_assert_max_num_queries):
    # given: many datasets' runs and many failed documents
    for number in range(15):
        _eval_run(f"dataset-{number}", hours_ago=number, intent_accuracy=0.5)
        Document.objects.create(
            slug=f"failed-{number}", title=f"Failed {number}", body="x", index_status="failed"
        )
    # then: session, user, and one query per figure, whatever the number of rows
    with django_assert_max_num_queries(12):
        response = staff_client.get("/")
    assert len(_panel(response, "evaluation").data) == 15


def test_the_review_queue_panel_counts_pending_and_flagged_drafts(staff_client):
    # given: three answered turns, one of them flagged for review, and one already approved
    draft_create()
    draft_create(flag_reasons=("asks for a 90% discount",))
    draft_approve(access=SYSTEM, output_id=draft_create().pk)
    # when
    response = staff_client.get("/")
    page = response.content.decode()
    # then: the queue's panel comes first and counts what still awaits a decision
    assert response.context["panels"][0].slug == "review-queue"
    assert '<tr data-figure="pending"><th>Awaiting a decision</th><td>2</td></tr>' in page
    assert '<tr data-figure="flagged"><th>Flagged for review among them</th><td>1</td></tr>' in page
    assert 'href="/admin/reviews/draftreview/"' in page


def test_the_page_needs_no_inline_script_under_the_csp(staff_client):
    # when
    response = staff_client.get("/")
    page = response.content.decode()
    # then: the policy allows scripts from our origin only, and every script on the page is a file
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert page.count("<script") == page.count("<script src=")
