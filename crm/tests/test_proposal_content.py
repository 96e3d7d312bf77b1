"""Proposal content rules without a turn: lead details from text, forward-only stages, one query to store."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apikeys.access import SYSTEM
from conversations.services import turn_process
from crm.lead_details import LeadDetails, lead_details
from crm.models import Proposal
from crm.proposals import proposals_create_for_turn
from crm.stages import stage_advances


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (
            ["Hi, my name is Ana Ruiz and I work at Acme Corp. Reach me at Ana.Ruiz@Acme.io"],
            LeadDetails(name="Ana Ruiz", email="ana.ruiz@acme.io", company="Acme Corp"),
        ),
        (["I'm Tom from Globex, do you integrate with Slack?"], LeadDetails(name="Tom", company="Globex")),
        (["This is Maria. We are at Initech."], LeadDetails(name="Maria", company="Initech")),
        (["I am interested in Premium", "How much is it?"], LeadDetails()),
        (["How much?", "my name is Bo Li, bo@li.example"], LeadDetails(name="Bo Li", email="bo@li.example")),
    ],
)
def test_lead_details_are_only_what_was_stated(texts, expected):
    assert lead_details(texts) == expected


@pytest.mark.parametrize(
    ("current", "target", "advances"),
    [
        ("contacted", "qualified", True),
        ("customer", "qualified", False),
        ("qualified", "qualified", False),
        ("lost", "qualified", True),
        ("proposal", "lost", True),
        ("lead", "", False),
    ],
)
def test_stages_only_move_forward(current, target, advances):
    assert stage_advances(current, target) is advances


@pytest.mark.django_db
def test_storing_a_turns_proposals_is_one_query(django_assert_num_queries):
    turn = turn_process(access=SYSTEM, message="Can I pay in installments?", prospect_id="prospect_001")
    steps = [
        {"action": "UPDATE_CRM", "details": {"reason": "r", "stage": "proposal"}},
        {"action": "SCHEDULE_FOLLOW_UP", "details": {"reason": "keep it moving"}},
        {"action": "FLAG_FOR_HUMAN_REVIEW", "details": {"reason": "low confidence"}},
    ]

    with django_assert_num_queries(1):
        created = proposals_create_for_turn(
            conversation_id=turn.conversation.pk,
            analysis_id=turn.analysis.pk,
            prospect_id="prospect_001",
            message="Can I pay in installments?",
            earlier_prospect_messages=[],
            intent="payment_question",
            key_points=[],
            next_steps=steps,
            crm_snapshot=None,
            at=timezone.now(),
        )

    assert [p.action for p in created] == ["UPDATE_CRM", "SCHEDULE_FOLLOW_UP"]
    assert Proposal.objects.get(pk=created[0].pk).content["fields"] == {"stage": "proposal"}
