"""Conversation reads that depend on who asks: today's activity figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.access import Access, Scope
from apikeys.services import access_for_key, api_key_create
from conversations.selectors import activity_since
from conversations.services import turn_process

pytestmark = pytest.mark.django_db


def test_activity_counts_what_the_caller_sees_since_the_given_moment(django_user_model):
    # given: a turn by a key that sees only its own conversations, and one by staff
    user = django_user_model.objects.create_user(username="inbox", password=None)
    key, _ = api_key_create(user=user, name="inbox", scopes=(Scope.TURNS_WRITE,))
    own = access_for_key(key)
    ops = django_user_model.objects.create_user(username="ops", password=None, is_staff=True)
    staff = Access.for_user(ops)
    start = timezone.now()
    turn_process(access=own, message="Can I pay in installments?", prospect_id="prospect_005")
    turn_process(access=staff, message="Do you have a free trial?", prospect_id="prospect_001")
    # when
    mine, everything = activity_since(own, since=start), activity_since(staff, since=start)
    later = activity_since(staff, since=timezone.now() + timedelta(seconds=1))
    # then
    assert (mine.conversations, mine.turns) == (1, 1)
    assert (everything.conversations, everything.turns) == (2, 2)
    assert (later.conversations, later.turns) == (0, 0)
