"""The staff home page's panels: each is built by one function from other apps' selectors.

The page shows ``PANEL_BUILDERS`` in order. A new panel is a builder returning a ``Panel`` (with a
template under templates/home/panels/ that renders ``panel.data``) added to that tuple in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from apikeys.access import Access
from conversations.selectors import activity_since
from evaluation.models import EvalRun
from evaluation.selectors import runs_latest_per_dataset
from home.links import STAFF_HOME, STAFF_LINKS
from knowledge.selectors import index_status_summary
from reviews.selectors import DraftState, review_queue, review_queue_filter

# The figures of each dataset's latest run shown on the landing page (the report page has them all).
KEY_EVAL_METRICS: tuple[tuple[str, str], ...] = (
    ("intent_accuracy", "Intent accuracy"),
    ("action_accuracy", "Action accuracy"),
    ("key_fact_recall", "Key-fact recall"),
    ("review_flag_recall", "Review flag recall"),
    ("latency_p50_ms", "p50 latency, ms"),
)


@dataclass(frozen=True)
class Panel:
    """One box of the landing page: ``slug`` makes its HTML id (``panel-<slug>``), ``template`` renders
    ``data``."""

    slug: str
    title: str
    template: str
    data: Any


@dataclass(frozen=True)
class EvalRunFigures:
    run: EvalRun
    report_url: str
    metrics: list[tuple[str, Any]]


PanelBuilder = Callable[..., Panel]


def links_panel(*, access: Access, now: datetime) -> Panel:
    links = [link for link in STAFF_LINKS if link is not STAFF_HOME]
    return Panel(slug="links", title="Staff pages", template="home/panels/links.html", data=links)


def evaluation_panel(*, access: Access, now: datetime) -> Panel:
    figures = [
        EvalRunFigures(
            run=run,
            report_url=reverse("evaluation:run-detail", args=[run.pk]),
            metrics=[(label, run.metrics.get(name)) for name, label in KEY_EVAL_METRICS],
        )
        for run in runs_latest_per_dataset()
    ]
    return Panel(
        slug="evaluation", title="Latest evaluation", template="home/panels/evaluation.html", data=figures
    )


def knowledge_index_panel(*, access: Access, now: datetime) -> Panel:
    return Panel(
        slug="knowledge-index",
        title="Knowledge index",
        template="home/panels/knowledge_index.html",
        data=index_status_summary(),
    )


def activity_panel(*, access: Access, now: datetime) -> Panel:
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return Panel(
        slug="activity",
        title="Today",
        template="home/panels/activity.html",
        data=activity_since(access, since=start_of_day),
    )


@dataclass(frozen=True)
class ReviewQueueFigures:
    pending: int
    flagged: int


def review_queue_panel(*, access: Access, now: datetime) -> Panel:
    pending = review_queue_filter(review_queue(access=access), state=DraftState.PENDING)
    flagged = review_queue_filter(pending, flagged=True)
    return Panel(
        slug="review-queue",
        title="Drafts to review",
        template="home/panels/review_queue.html",
        data=ReviewQueueFigures(pending=pending.count(), flagged=flagged.count()),
    )


PANEL_BUILDERS: tuple[PanelBuilder, ...] = (
    review_queue_panel,
    links_panel,
    evaluation_panel,
    knowledge_index_panel,
    activity_panel,
)


def staff_home_panels(*, access: Access, now: datetime) -> list[Panel]:
    """Every panel of the staff home page, in display order."""
    return [build(access=access, now=now) for build in PANEL_BUILDERS]
