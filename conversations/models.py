"""Conversations with prospects, and what the agent concluded and proposed for each turn."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from pgvector.django import VectorField

from conversations.agent.risks import NO_RISK, RISK_REASONS, RiskKind
from crm.models import Prospect
from knowledge.models import EMBEDDING_DIMENSIONS

# What a risk example is: a kind of request the agent must refuse, or an ordinary look-alike.
RISK_LABEL_CHOICES = [
    (NO_RISK, "None (an ordinary message that looks like a risky one)"),
    *((kind.value, RISK_REASONS[kind].capitalize()) for kind in RiskKind),
]


class Action(models.TextChoices):
    """Every next step the agent can propose: the taxonomy's primary actions, then its secondary ones."""

    PROVIDE_PRICING_DETAILS = "PROVIDE_PRICING_DETAILS"
    EXPLAIN_POLICY = "EXPLAIN_POLICY"
    OFFER_DEMO = "OFFER_DEMO"
    ESCALATE_SUPPORT = "ESCALATE_SUPPORT"
    EXPLAIN_PAYMENT_OPTIONS = "EXPLAIN_PAYMENT_OPTIONS"
    PROVIDE_COMPARISON_DETAILS = "PROVIDE_COMPARISON_DETAILS"
    INITIATE_SIGNUP = "INITIATE_SIGNUP"
    SHARE_DOC_LINK = "SHARE_DOC_LINK"
    REQUEST_MORE_INFO = "REQUEST_MORE_INFO"
    OFFER_LANGUAGE_SWITCH = "OFFER_LANGUAGE_SWITCH"
    PROVIDE_INTEGRATION_DETAILS = "PROVIDE_INTEGRATION_DETAILS"
    SCHEDULE_MEETING = "SCHEDULE_MEETING"
    START_TRIAL = "START_TRIAL"
    SHARE_SECURITY_DOCS = "SHARE_SECURITY_DOCS"
    PROVIDE_COMPETITIVE_POSITIONING = "PROVIDE_COMPETITIVE_POSITIONING"
    MARK_NOT_INTERESTED = "MARK_NOT_INTERESTED"
    ASK_QUALIFYING_QUESTION = "ASK_QUALIFYING_QUESTION"
    # Secondary actions: they follow the primary one.
    CREATE_LEAD = "CREATE_LEAD"
    UPDATE_CRM = "UPDATE_CRM"
    SCHEDULE_FOLLOW_UP = "SCHEDULE_FOLLOW_UP"
    FLAG_FOR_HUMAN_REVIEW = "FLAG_FOR_HUMAN_REVIEW"


class Intent(models.Model):
    """A label the classifier can give a prospect message, and the policy the agent follows for it.

    Staff edit the examples and the policy in the admin; both brains read the policy from here
    (``conversations/agent/policy.py``).
    """

    class PriorityClass(models.TextChoices):
        HIGH = "high", "High"
        HOT_LEAD = "hot_lead", "High for hot leads (lead score 80+), else medium"
        NORMAL = "normal", "Medium (high when negative from a qualified lead)"
        LOW = "low", "Low"

    class AnswerSource(models.TextChoices):
        KNOWLEDGE = "knowledge", "Needs a knowledge-base answer (flag the turn when none is found)"
        OPTIONAL = "optional", "Uses the knowledge base when it helps"
        NONE = "none", "Answered without the knowledge base"

    class Sentiment(models.TextChoices):
        NONE = "", "As read from the message"
        POSITIVE = "positive", "Positive"
        NEUTRAL = "neutral", "Neutral"
        NEGATIVE = "negative", "Negative"

    name = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    primary_action = models.CharField(max_length=64, choices=Action.choices)
    examples = models.JSONField(default=list, blank=True, help_text="Example utterances, one string each.")
    knowledge_categories = models.JSONField(
        default=list,
        blank=True,
        help_text="Knowledge-base categories where answers to this intent usually live; "
        "search ranks them higher without excluding others.",
    )
    priority_class = models.CharField(
        max_length=10, choices=PriorityClass.choices, default=PriorityClass.NORMAL
    )
    updates_crm = models.BooleanField(
        default=False, help_text="Propose UPDATE_CRM for a known prospect (the turn revealed something)."
    )
    schedules_follow_up = models.BooleanField(default=False, help_text="Propose SCHEDULE_FOLLOW_UP.")
    # The stage is policy data on the row, next to updates_crm, rather than a mapping in code: staff
    # tune it with the rest of the intent's rules, and a renamed or new intent carries its own.
    crm_stage = models.CharField(
        max_length=20,
        choices=[("", "Leave the stage"), *Prospect.Stage.choices],
        default="",
        blank=True,
        help_text="The sales stage an UPDATE_CRM proposal moves a known prospect to (only ever forward).",
    )
    sentiment_override = models.CharField(
        max_length=10,
        choices=Sentiment.choices,
        default=Sentiment.NONE,
        blank=True,
        help_text="A mood this intent always carries (a complaint is negative however politely put).",
    )
    plausible_when_angry = models.BooleanField(
        default=True,
        help_text="Whether an angry message can have this intent. An unhappy prospect is not greeting, "
        "buying or asking for a demo: when the tone is angry, intents with this off are ruled out.",
    )
    answer_source = models.CharField(
        max_length=10, choices=AnswerSource.choices, default=AnswerSource.KNOWLEDGE
    )
    standing_queries = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per language, a knowledge search run for every message of this intent, for the answer "
        'it always needs (how complaints are escalated, where to sign up): {"en": "...", "es": "..."}. '
        "Its best sentence joins the draft.",
    )
    reply_frames = models.JSONField(
        default=dict,
        blank=True,
        help_text='Opening and closing lines per language: {"en": {"opener": "...", "closer": "..."}}, '
        'and optionally "after_quote", the closing line when the draft states a quote. '
        "{name_comma} and {name_space} stand for the prospect's first name. "
        "They must make no factual claims.",
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The fields of an intent that are its policy (conversations/agent/policy.py reads them, the admin
# edits them, the demo seeds them): one list, so a new rule cannot be forgotten in one of those places.
INTENT_POLICY_FIELDS = (
    "primary_action",
    "priority_class",
    "updates_crm",
    "schedules_follow_up",
    "crm_stage",
    "sentiment_override",
    "plausible_when_angry",
    "answer_source",
    "knowledge_categories",
    "standing_queries",
    "reply_frames",
)
# The lines a reply frame may give per language: the opener, the closer, and the closer for a draft
# that states a quote (a price question's usual closer offers one).
REPLY_FRAME_KEYS = ("opener", "closer", "after_quote")


class IntentExample(models.Model):
    """An intent's example utterance with its stored embedding, so no process re-embeds them.

    Rows are keyed by the text's hash and the embedding model: saving an intent embeds only the
    examples that are new to it, and switching models re-embeds (``sync_intent_examples``).
    """

    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="example_rows")
    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    # The intent's description is embedded too (it helps intents with few examples), but it is not
    # an utterance, so leave-one-out calibration skips it.
    is_description = models.BooleanField(default=False)
    # The embedding model is English-only: a message is compared with English examples and those
    # in its own language, never with a third language's (which would match on foreign-ness).
    language = models.CharField(max_length=8, default="en")
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    embedding_model = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["intent_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["intent", "text_hash", "embedding_model", "is_description"],
                name="intent_example_unique_text_model",
            )
        ]

    def __str__(self) -> str:
        return f"{self.intent.name}: {self.text[:60]}"


class TrainingExample(models.Model):
    """A message the reader learns from besides the intents' own examples.

    Out-of-scope messages (what people write to other businesses or the wrong inbox) teach it what this
    company does not answer; reviewers' corrections arrive as candidates with the turn they came from,
    and count once staff accept them. The embedding is stored so training never re-embeds a text.
    """

    class Kind(models.TextChoices):
        INTENT = "intent", "An example of an intent"
        OUT_OF_SCOPE = "out_of_scope", "Out of scope (not about what this company sells or supports)"
        # An out-of-scope example may name its intent: what it asks for, whatever the business.
        RISK = "risk", "A request to refuse, or an ordinary look-alike (see risk)"

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate (not used until accepted)"
        ACCEPTED = "accepted", "Accepted (used in training)"
        REJECTED = "rejected", "Rejected"

    class Source(models.TextChoices):
        SEED = "seed", "Bundled with the product"
        STAFF = "staff", "Written by staff"
        REVIEW = "review", "From a reviewed turn"

    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    language = models.CharField(max_length=8, default="en")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    intent = models.ForeignKey(
        Intent, null=True, blank=True, on_delete=models.CASCADE, related_name="training_examples"
    )
    risk = models.CharField(
        max_length=32,
        blank=True,
        choices=RISK_LABEL_CHOICES,
        help_text="For a risk example: the kind of request the agent must refuse, or none for a look-alike.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STAFF)
    # Provenance of a reviewer's correction: the turn whose message this is.
    analysis = models.ForeignKey(
        "AnalysisResult", null=True, blank=True, on_delete=models.SET_NULL, related_name="training_examples"
    )
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    embedding_model = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["text_hash", "kind", "intent"], name="training_example_unique"),
            models.CheckConstraint(
                condition=models.Q(kind="intent", intent__isnull=False, risk="")
                | models.Q(kind="out_of_scope", risk="")
                | (models.Q(kind="risk", intent__isnull=True) & ~models.Q(risk="")),
                name="training_example_label_fits_kind",
            ),
        ]

    def __str__(self) -> str:
        label = self.intent.name if self.intent_id and self.intent else (self.risk or self.kind)
        return f"{label}: {self.text[:60]}"


class ReaderModel(models.Model):
    """A trained message reader: its weights, what it learnt from and how it scored when cross-validated.

    ``artefact`` is a NumPy ``.npz`` archive read without pickle (``conversations/reader/artefact.py``).
    The newest active row is the one every turn uses; each turn records its version.
    """

    version = models.PositiveIntegerField(unique=True)
    is_active = models.BooleanField(default=True)
    artefact = models.BinaryField()
    # A digest of the training data and settings: an unchanged digest means retraining would change nothing.
    training_digest = models.CharField(max_length=64)
    embedding_model = models.CharField(max_length=100)
    example_counts = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)
    training_seconds = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"reader v{self.version}"


class Conversation(models.Model):
    topic = models.CharField(max_length=200, blank=True)
    prospect = models.ForeignKey(
        "crm.Prospect", on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    external_prospect_id = models.CharField(max_length=64, blank=True, db_index=True)
    api_key = models.ForeignKey(
        "apikeys.ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        help_text="The key that created it: keys without conversations:read see only their own.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"Conversation {self.pk}" + (
            f" with {self.external_prospect_id}" if self.external_prospect_id else ""
        )


class Message(models.Model):
    class Sender(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=10, choices=Sender.choices)
    content = models.TextField()
    timestamp = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Not a column: set on the instance ``turn_receive`` returns when it opened a new conversation with
    # this message alone, so answering it need not read back a history known to be empty.
    opens_conversation: bool = False

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["conversation", "timestamp"], name="message_conversation_ts")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.content[:60]}"


class AnalysisResult(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="analyses")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="analyses")
    intent = models.CharField(max_length=64, db_index=True)
    intents = models.JSONField(
        default=list,
        blank=True,
        help_text="Every intent the message touches, the primary one first (a price question that also "
        "asks how to sign up touches two).",
    )
    language = models.CharField(max_length=8, default="en", help_text="The language the prospect wrote in.")
    sentiment = models.CharField(max_length=10)
    entities = models.JSONField(default=list)
    key_points = models.JSONField(default=list)
    priority = models.CharField(max_length=10)
    action_required = models.BooleanField(default=True)
    confidence = models.FloatField()
    brain = models.CharField(max_length=20)
    model_name = models.CharField(max_length=100, blank=True)
    # The trained reader that read the message (ReaderModel.version); null when none was trained.
    reader_version = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.FloatField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    prompt_version = models.CharField(max_length=40, blank=True)
    cost_usd = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.intent} ({self.confidence:.2f})"


class ActionableOutput(models.Model):
    analysis = models.OneToOneField(AnalysisResult, on_delete=models.CASCADE, related_name="output")
    response_text = models.TextField()
    action_type = models.CharField(max_length=64)
    next_steps = models.JSONField(default=list)
    tool_usage_log = models.JSONField(default=list)
    knowledge_citations = models.JSONField(default=list)
    knowledge_results = models.JSONField(
        default=list, blank=True, help_text="Every chunk retrieved for the turn, as the API returns it."
    )
    questions = models.JSONField(
        default=list, blank=True, help_text="The questions and requests the message was split into."
    )
    crm_snapshot = models.JSONField(null=True, blank=True)
    reasoning_trace = models.TextField(blank=True)
    degraded = models.BooleanField(default=False)
    unsupported_claims = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.action_type


class TurnRequest(models.Model):
    """A turn request being answered, or answered under an ``Idempotency-Key``.

    A request with the header keeps its row (``analysis`` set once answered) so a retry replays the
    stored turn. A request without it gets an implicit row keyed by a hash of its body, deleted when
    the turn is answered: if answering failed, an identical retry finds the stored message and answers
    it instead of storing it again, and the periodic sweep answers it if the client never retries.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    api_key = models.ForeignKey(
        "apikeys.ApiKey", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=255)
    implicit = models.BooleanField(
        default=False, help_text="No Idempotency-Key was sent: the key is a hash of the request."
    )
    request_hash = models.CharField(max_length=64)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="turn_requests"
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="turn_requests",
        help_text="The stored inbound message; a retry after a failure answers it, never stores it again.",
    )
    analysis = models.ForeignKey(
        AnalysisResult,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set once the turn has been answered; replays render it.",
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "api_key", "key", "implicit"],
                name="turn_request_owner_key_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["analysis", "updated_at"], name="turn_request_sweep")]

    def __str__(self) -> str:
        return f"{self.key} ({'answered' if self.analysis_id else 'open'})"
