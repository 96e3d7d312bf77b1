from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from conversations.api.views import ConversationViewSet, ProcessMessageView

router = DefaultRouter(trailing_slash=True)
router.register("conversations", ConversationViewSet, basename="conversation")

urlpatterns = [
    path("process_message", ProcessMessageView.as_view(), name="process-message"),
    *router.urls,
]
