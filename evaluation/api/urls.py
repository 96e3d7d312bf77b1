"""Routes of the evaluation API."""

from rest_framework.routers import DefaultRouter

from evaluation.api.views import EvalRunViewSet

router = DefaultRouter()
router.register("runs", EvalRunViewSet, basename="evalrun")

urlpatterns = router.urls
