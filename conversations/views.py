"""The staff playground: try a prospect message in the browser and see everything the agent decided."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from conversations.api.serializers import turn_response
from conversations.forms import PlaygroundForm
from conversations.models import Conversation
from conversations.services import turn_process


@staff_member_required
def playground(request: HttpRequest) -> HttpResponse:
    form = PlaygroundForm(request.POST or None)
    turn = None
    if request.method == "POST" and form.is_valid():
        conversation_id = form.cleaned_data["conversation_id"]
        if conversation_id and not Conversation.objects.filter(pk=conversation_id).exists():
            form.add_error("conversation_id", "No such conversation.")
        else:
            prospect = form.cleaned_data["prospect"]
            stored = turn_process(
                message=form.cleaned_data["message"],
                prospect_id=prospect.external_id if prospect else None,
                conversation_id=conversation_id,
            )
            turn = turn_response(stored)
            form = PlaygroundForm(initial={"prospect": prospect, "conversation_id": stored.conversation.pk})
    return render(request, "conversations/playground.html", {"form": form, "turn": turn})
