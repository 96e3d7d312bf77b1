from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from conversations.api.views import ConversationViewSet, ProcessMessageView

router = DefaultRouter()
# Clients may POST to .../turns or .../turns/: a slash redirect would drop the POST body.
router.trailing_slash = "/?"
router.register("conversations", ConversationViewSet, basename="conversation")

urlpatterns = [
    path("process_message", ProcessMessageView.as_view(), name="process-message"),
    *router.urls,
]
