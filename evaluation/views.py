"""Staff report pages for evaluation runs."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from evaluation.models import EvalRun
from evaluation.selectors import run_summary
from salesagent.staff_pages import staff_page_context


@staff_member_required
def run_list(request: HttpRequest) -> HttpResponse:
    runs = EvalRun.objects.all()[:50]
    context = {**staff_page_context(request), "runs": runs}
    return render(request, "evaluation/run_list.html", context)


@staff_member_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvalRun, pk=pk)
    context = {
        **staff_page_context(request),
        "run": run,
        "summary": run_summary(run=run),
        "cases": run.case_results.order_by("id"),
    }
    return render(request, "evaluation/run_detail.html", context)
