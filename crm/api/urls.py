from __future__ import annotations

from rest_framework.routers import DefaultRouter

from crm.api.views import ProspectViewSet

router = DefaultRouter(trailing_slash=True)
router.register("prospects", ProspectViewSet, basename="prospect")

urlpatterns = router.urls
