"""Routes of the evaluation API."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from evaluation.api.views import EvalRunViewSet, ReviewMetricsView

router = DefaultRouter()
router.register("runs", EvalRunViewSet, basename="evalrun")

urlpatterns = [
    path("review-metrics/", ReviewMetricsView.as_view(), name="review-metrics"),
    *router.urls,
]
