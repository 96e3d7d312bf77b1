"""The order of the sales stages, so a proposal only ever moves a prospect forward.

An intent's ``crm_stage`` (on the ``Intent`` row, conversations/models.py) says where a turn of that
intent moves a prospect; a customer asking for a demo stays a customer. "lost" sits outside the order:
anything may be marked lost, and a lost prospect who shows interest again may move forward.
"""

from __future__ import annotations

from crm.models import Prospect

FUNNEL = (
    Prospect.Stage.LEAD,
    Prospect.Stage.CONTACTED,
    Prospect.Stage.QUALIFIED,
    Prospect.Stage.PROPOSAL,
    Prospect.Stage.CUSTOMER,
)


def stage_advances(current: str, target: str) -> bool:
    """Whether moving from ``current`` to ``target`` is progress (and so worth proposing)."""
    if not target or target == current:
        return False
    if target == Prospect.Stage.LOST or current not in FUNNEL:
        return True
    return target in FUNNEL and FUNNEL.index(target) > FUNNEL.index(current)
