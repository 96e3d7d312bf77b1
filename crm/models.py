"""The local CRM (prospects, interactions, follow-up tasks) and the CRM changes the agent proposes.

A :class:`Proposal` is one next step of a stored turn that would change the CRM, with concrete
content; staff approve or reject it and approved ones are applied to the configured CRM backend
(``crm/proposals.py``), each decision and application leaving a :class:`ProposalAuditEntry`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Prospect(models.Model):
    class Stage(models.TextChoices):
        LEAD = "lead", "Lead"
        CONTACTED = "contacted", "Contacted"
        QUALIFIED = "qualified", "Qualified"
        PROPOSAL = "proposal", "Proposal"
        CUSTOMER = "customer", "Customer"
        LOST = "lost", "Lost"

    external_id = models.CharField(
        max_length=64, unique=True, help_text="Id used by API clients, e.g. prospect_001."
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    company = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    lead_score = models.PositiveSmallIntegerField(default=0, help_text="0-100")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.LEAD)
    technologies = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    do_not_contact = models.BooleanField(
        default=False, help_text="The prospect asked not to be contacted again: no outreach."
    )
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["external_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.company or self.external_id})"


class Interaction(models.Model):
    class Kind(models.TextChoices):
        INBOUND_MESSAGE = "inbound_message", "Inbound message"
        AGENT_REPLY = "agent_reply", "Agent reply"
        NOTE = "note", "Note"

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="interactions")
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.INBOUND_MESSAGE)
    summary = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.prospect.external_id}"


class FollowUpTask(models.Model):
    """A follow-up a sales rep owes a prospect (the local backend's CRM task)."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="follow_up_tasks")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    due_at = models.DateTimeField()
    done = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.title} (due {self.due_at:%Y-%m-%d})"


class Proposal(models.Model):
    """A CRM change one turn's next step proposes, waiting for (or past) a person's decision."""

    class Action(models.TextChoices):
        # The next-step actions that change the CRM (conversations.models.Action spells them alike).
        CREATE_LEAD = "CREATE_LEAD", "Create lead"
        UPDATE_CRM = "UPDATE_CRM", "Update CRM"
        SCHEDULE_FOLLOW_UP = "SCHEDULE_FOLLOW_UP", "Schedule follow-up"
        MARK_NOT_INTERESTED = "MARK_NOT_INTERESTED", "Mark not interested"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="proposals"
    )
    analysis = models.ForeignKey(
        "conversations.AnalysisResult", on_delete=models.CASCADE, related_name="proposals"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    prospect_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="Our id of the prospect the change is for (the CRM's id property).",
    )
    content = models.JSONField(default=dict, help_text="What applying writes, by action type.")
    reason = models.CharField(max_length=500, blank=True, help_text="Why the agent proposed it.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by_label = models.CharField(
        max_length=200, blank=True, help_text="Who decided (user, key or system)."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(blank=True)
    backend = models.CharField(max_length=20, blank=True, help_text="The CRM backend it was applied to.")
    remote_ids = models.JSONField(
        default=dict,
        blank=True,
        help_text="Ids of what applying created (contact, note, task), so a retry never creates them twice.",
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["analysis", "action"], name="proposal_one_per_turn_action")
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="proposal_state_created")]

    def __str__(self) -> str:
        return f"{self.action} for {self.prospect_id or 'a new lead'} ({self.state})"

    @property
    def decided(self) -> bool:
        return self.state != self.State.PENDING


class ProposalAuditEntry(models.Model):
    """One event in a proposal's life: who approved or rejected it, and what applying changed where."""

    class Event(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="audit_entries")
    event = models.CharField(max_length=10, choices=Event.choices)
    actor = models.CharField(max_length=200, help_text="The user, API key or system that acted.")
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    backend = models.CharField(max_length=20, blank=True)
    before = models.JSONField(default=dict, blank=True, help_text="The contact's fields before applying.")
    after = models.JSONField(default=dict, blank=True, help_text="The fields applying wrote.")
    remote_ids = models.JSONField(default=dict, blank=True)
    detail = models.TextField(blank=True, help_text="The rejection reason or the error.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.event} by {self.actor}"
