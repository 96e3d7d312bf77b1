from __future__ import annotations

from django.urls import path

from conversations.views import playground

app_name = "conversations"
urlpatterns = [path("", playground, name="playground")]
