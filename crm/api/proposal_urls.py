"""URLs of the proposals API, mounted at /api/ (``/api/proposals/``)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from crm.api.proposal_views import ProposalViewSet

router = SimpleRouter()
# As for conversation actions: .../approve or .../approve/ (a slash redirect would drop a POST body).
router.trailing_slash = "/?"
router.register("proposals", ProposalViewSet, basename="proposal")

urlpatterns = router.urls
