"""Staff report pages for evaluation runs."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from evaluation.models import EvalRun
from evaluation.selectors import run_summary


@staff_member_required
def run_list(request: HttpRequest) -> HttpResponse:
    runs = EvalRun.objects.all()[:50]
    return render(request, "evaluation/run_list.html", {"runs": runs})


@staff_member_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvalRun, pk=pk)
    return render(
        request,
        "evaluation/run_detail.html",
        {"run": run, "summary": run_summary(run=run), "cases": run.case_results.order_by("id")},
    )
