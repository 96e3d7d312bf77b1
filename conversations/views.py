"""The staff playground: try a prospect message in the browser and see everything the agent decided."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apikeys.access import Access
from conversations.api.serializers import TurnOutputSerializer
from conversations.forms import PlaygroundForm
from conversations.selectors import conversations_visible_to
from conversations.services import ConversationFull, turn_process
from salesagent.staff_pages import staff_page_context


@staff_member_required
def playground(request: HttpRequest) -> HttpResponse:
    form = PlaygroundForm(request.POST or None)
    turn = None
    access = Access.for_user(request.user)
    if request.method == "POST" and form.is_valid():
        conversation_id = form.cleaned_data["conversation_id"]
        if conversation_id and not conversations_visible_to(access).filter(pk=conversation_id).exists():
            form.add_error("conversation_id", "No such conversation.")
        else:
            prospect = form.cleaned_data["prospect"]
            try:
                stored = turn_process(
                    access=access,
                    message=form.cleaned_data["message"],
                    prospect_id=prospect.external_id if prospect else None,
                    conversation_id=conversation_id,
                )
            except ConversationFull as exc:
                form.add_error("conversation_id", str(exc))
            else:
                turn = TurnOutputSerializer(stored.analysis).data
                # The message stays in the form next to its answer: trying a variation starts from it.
                form = PlaygroundForm(
                    initial={
                        "message": form.cleaned_data["message"],
                        "prospect": prospect,
                        "conversation_id": stored.conversation.pk,
                    }
                )
    context = {**staff_page_context(request), "form": form, "turn": turn}
    return render(request, "conversations/playground.html", context)
