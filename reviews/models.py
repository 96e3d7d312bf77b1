"""Human review of the agent's drafts: decisions, outbound delivery of approved replies, and feedback.

Every answered turn (``conversations.ActionableOutput``) is a draft. A person approves it (as is or
edited) or rejects it; a :class:`ReviewDecision` records who, when, the text sent and how far it was
edited. An approval's reply goes out through an outbound channel (a :class:`WebhookEndpoint`, or the
default from settings), logged as a :class:`Delivery` with one :class:`DeliveryAttempt` per try.
:class:`Feedback` is a report on an AI message; ``export_eval_cases`` turns reviewed turns into
evaluation cases.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from conversations.models import ActionableOutput


class DraftReview(ActionableOutput):
    """The admin's view of an answered turn as a draft awaiting a decision (no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "draft to review"
        verbose_name_plural = "drafts to review"


class ReviewDecision(models.Model):
    """The one decision on a draft: approved (the sent text, and how far it differs) or rejected."""

    class State(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    # One decision per draft: the unique key makes a second decision impossible even if two
    # reviewers race past the service's row lock.
    output = models.OneToOneField(ActionableOutput, on_delete=models.CASCADE, related_name="review")
    state = models.CharField(max_length=10, choices=State.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        "apikeys.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField()
    draft_text = models.TextField(help_text="The draft as the agent wrote it, at the time of the decision.")
    sent_text = models.TextField(blank=True)
    edit_distance = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Levenshtein distance (characters) between the draft and the sent text.",
    )
    edit_ratio = models.FloatField(
        null=True,
        blank=True,
        help_text="The edit distance normalised to 0-1 (0: sent as drafted, 1: entirely rewritten).",
    )
    rejection_reason = models.TextField(blank=True)
    message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The agent message recorded in the conversation on approval.",
    )

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["state", "decided_at"], name="review_decision_state_at")]

    def __str__(self) -> str:
        return f"{self.state} draft {self.output_id}"

    @property
    def edited(self) -> bool:
        return bool(self.edit_distance)


class WebhookEndpoint(models.Model):
    """Where approved replies are delivered: a client's URL and the secret that signs each delivery.

    An endpoint linked to an API key receives the replies of the conversations that key created; one
    without a key receives the rest. With no active endpoint, ``OUTBOUND_WEBHOOK_URL`` is the default.
    """

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, help_text="Shared with the receiver; signs every delivery.")
    api_key = models.ForeignKey(
        "apikeys.ApiKey",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        help_text="Deliver only replies in conversations this key created (empty: every other one).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class Delivery(models.Model):
    """One approved reply on its way to the client; its id is the delivery id receivers dedupe on."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        NO_CHANNEL = "no_channel", "No channel configured"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    decision = models.OneToOneField(ReviewDecision, on_delete=models.CASCADE, related_name="delivery")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    url = models.CharField(max_length=500, blank=True, help_text="Where it was sent (empty: no channel).")
    event = models.CharField(max_length=50, default="draft.approved")
    # The exact body, fixed at approval, so every retry sends the same bytes.
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event} {self.id} ({self.state})"


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery: what the receiver answered, or why there was no answer."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.FloatField(default=0)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_number_unique")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error}"


class Feedback(models.Model):
    """A report that an AI message (a draft, or the reply sent from it) was wrong, and why."""

    class Reason(models.TextChoices):
        INCORRECT = "incorrect_information", "Incorrect information"
        INAPPROPRIATE = "inappropriate", "Inappropriate"
        INCOMPLETE = "incomplete", "Incomplete"
        OUTDATED = "outdated", "Outdated"
        OTHER = "other", "Other"

    output = models.ForeignKey(ActionableOutput, on_delete=models.CASCADE, related_name="feedback")
    reason = models.CharField(max_length=30, choices=Reason.choices)
    note = models.TextField(blank=True)
    corrected_text = models.TextField(
        blank=True, help_text="What the reply should have said; exported as the expected response."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        "apikeys.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feedback"

    def __str__(self) -> str:
        return f"{self.get_reason_display()} on draft {self.output_id}"
