"""Gathering a turn's evidence once, for whichever brain judges it.

Before any brain runs, the pipeline reads the message (language, tone, risky requests, the questions
it asks), looks the prospect up in the CRM, searches the knowledge base for every question in the
prospect's language, runs the likely intents' standing queries, and computes a quote when one is
asked for. Every tool call is timed in the tool log. Brains only judge what is gathered here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings

from company.vocabulary import EMPTY_VOCABULARY, Vocabulary
from conversations.agent.classifier import (
    IntentIndex,
    IntentPrediction,
    classify_intent,
    follow_up_anchor,
    intent_index,
    is_short_affirmative,
    score_prediction,
)
from conversations.agent.entities import ANAPHORA_RE, gazetteer_entities, named_things, plan_names_in
from conversations.agent.policy import COMPLAINT, IntentPolicy
from conversations.agent.questions import main_question, split_questions
from conversations.agent.quoting import QuoteEvidence, quote_for
from conversations.agent.reference_data import ReferenceData
from conversations.agent.risks import ACT_ON_PROBABILITY, Risk, detect_risks, read_risks
from conversations.agent.tone import Tone, read_tone
from conversations.agent.tools import lookup_prospect, search_knowledge_base
from conversations.agent.types import ToolCall, TurnInput
from conversations.reader.training import OUT_OF_SCOPE_THRESHOLD
from crm.client import CRMClient, ProspectRecord
from knowledge.embeddings import embed_query
from knowledge.languages import DEFAULT_LANGUAGE, DetectedLanguage, detect_language, language_name
from knowledge.search import SearchResult
from knowledge.vocabulary import unknown_terms

# The review reason of a message about something this company does not sell or support.
OUT_OF_SCOPE_REASON = "out_of_scope"
# A message this short that points back ("that one", "it") is read with what it points at.
ANAPHORIC_MAX_WORDS = 12
# Messages longer than this are also classified by their leading question.
FOCUS_MIN_WORDS = 15
# Several questions share the draft, so each gets fewer chunks than a single question does.
PER_QUESTION_K = 4
QUESTION_CATEGORY_CONFIDENCE = 0.8
# An intent other than the primary one that holds this share of the reader's probability is one the
# message also touches ("Scale for 80 agents, what's the total? Where do I sign up?": a price question
# and a buying signal). Picking the primary among them by a fixed precedence instead of the reader's
# probability was measured and lost accuracy on every dataset, so the primary stays the reader's best.
SECONDARY_INTENT_PROBABILITY = 0.25


@dataclass
class QuestionEvidence:
    """One question of the message: what was searched, how it reads, and what came back."""

    text: str
    query: str
    vector: list[float]
    prediction: IntentPrediction
    knowledge: list[SearchResult]
    # Named things (tools, standards) the question asks about that the knowledge base never mentions.
    unknown_terms: list[str] = field(default_factory=list)


@dataclass
class StandingAnswer:
    """An intent's standing query (the answer it always needs) and what it retrieved."""

    query: str
    vector: list[float]
    knowledge: list[SearchResult]


@dataclass
class Evidence:
    """Everything gathered for one turn before a brain judges it."""

    language: DetectedLanguage
    tone: Tone
    risks: list[Risk]
    prediction: IntentPrediction
    index: IntentIndex
    message_vector: list[float]
    questions: list[QuestionEvidence]
    standing: dict[str, StandingAnswer]
    prospect: ProspectRecord | None
    crm_ok: bool
    tool_log: list[ToolCall]
    reasoning: list[str]
    quote: QuoteEvidence | None = None
    vocabulary: Vocabulary = EMPTY_VOCABULARY
    # The reader's probability that the message is about something this company does not sell or
    # support (None: no reader is trained, or the message leans on the conversation).
    out_of_scope_probability: float | None = None
    # Other intents the message touches besides the reader's primary one, most likely first.
    secondary_intents: list[str] = field(default_factory=list)

    @property
    def out_of_scope(self) -> bool:
        # The reader's threshold for its probability is learned with it (reader/training.py).
        threshold = self.index.reader.scope_threshold if self.index.reader else OUT_OF_SCOPE_THRESHOLD
        return (self.out_of_scope_probability or 0.0) >= threshold

    @property
    def knowledge(self) -> list[SearchResult]:
        """Every retrieved chunk once, questions first (in order), then standing queries."""
        seen: dict[int, SearchResult] = {}
        for results in [
            *(q.knowledge for q in self.questions),
            *(a.knowledge for a in self.standing.values()),
        ]:
            for result in results:
                seen.setdefault(result.chunk_id, result)
        return list(seen.values())

    @property
    def unknown_terms(self) -> list[str]:
        return list(dict.fromkeys(term for q in self.questions for term in q.unknown_terms))

    @property
    def has_language_knowledge(self) -> bool:
        """Whether the knowledge base answered in the prospect's language at all."""
        return bool(self.knowledge)

    @property
    def findings(self) -> list[str]:
        """What the evidence alone says a person must check: risky requests, questions about things
        the knowledge base never mentions, a language the knowledge base is not written in."""
        found = [risk.reason for risk in self.risks]
        if self.out_of_scope:
            found.append(
                f"{OUT_OF_SCOPE_REASON}: the message seems to be about something this company does not sell "
                f"or support (P={self.out_of_scope_probability:.2f}); holding reply"
            )
        if not self.has_language_knowledge and self.language.code != DEFAULT_LANGUAGE:
            found.append(f"no knowledge-base documents in {language_name(self.language.code)}: holding reply")
        if self.unknown_terms:
            found.append(f"the knowledge base says nothing about {', '.join(self.unknown_terms)}")
        return found


def earlier_prospect_messages(turn: TurnInput) -> list[str]:
    """The prospect's earlier messages in this conversation, oldest first."""
    return [item.content for item in turn.history if item.sender == "prospect"]


def search_query_for(turn: TurnInput, prediction: IntentPrediction | None = None) -> str:
    """The text to search with: a follow-up carries what it leans on, a standalone message stands alone.

    A short yes carries the agent's offer it accepts; an elliptical follow-up that continues the
    earlier topic (``prediction.anchor``), or a short message pointing back ("how much would that one
    be?"), carries the prospect message it continues. Searching a new question on its own keeps an
    earlier topic from pulling results away.
    """
    message = turn.message
    if not turn.history:
        return message
    context = []
    if is_short_affirmative(message) and "?" in turn.last_from("agent"):
        context.append(turn.last_from("agent"))
    if prediction is not None and prediction.anchor:
        context.append(prediction.anchor)
    elif is_short_affirmative(message) or (
        len(message.split()) <= ANAPHORIC_MAX_WORDS and ANAPHORA_RE.search(message)
    ):
        context.append(follow_up_anchor(earlier_prospect_messages(turn)))
    return " ".join([message, *(text for text in context if text)])


def _search(
    query: str,
    vector: list[float],
    *,
    k: int,
    language: str,
    policy: IntentPolicy | None,
    tool_log: list[ToolCall],
) -> list[SearchResult]:
    results, call = search_knowledge_base(
        query,
        k=k,
        query_vector=vector,
        prefer_categories=list(policy.knowledge_categories) if policy else None,
        language=language,
    )
    tool_log.append(call)
    return results


def _questions(
    turn: TurnInput,
    prediction: IntentPrediction,
    message_vector: list[float],
    *,
    language: str,
    policies: dict[str, IntentPolicy],
    index: IntentIndex,
    tool_log: list[ToolCall],
    vocabulary: Vocabulary,
) -> list[QuestionEvidence]:
    texts = split_questions(turn.message)
    if len(texts) == 1:
        query = search_query_for(turn, prediction)
        vector = message_vector if query == turn.message else embed_query(query)
        knowledge = _search(
            query,
            vector,
            k=settings.KNOWLEDGE_SEARCH_K,
            language=language,
            policy=policies.get(prediction.intent),
            tool_log=tool_log,
        )
        return [QuestionEvidence(turn.message, query, vector, prediction, knowledge)]
    # A question that names nothing leans on what the message's other sentences name: in "we use
    # Intercom today. What do you do better?" the question is about Intercom.
    context = turn.message
    for text in texts:
        context = context.replace(text, " ")
    named = [*named_things(context, vocabulary), *plan_names_in(context, vocabulary)]
    questions = []
    for text in texts:
        own_names = [*gazetteer_entities(text, vocabulary), *plan_names_in(text, vocabulary)]
        query = text if own_names or not named else f"{text} ({', '.join(dict.fromkeys(named))})"
        vector = embed_query(query)
        own = score_prediction(
            embed_query(text) if query != text else vector, text=text, language=language, index=index
        )
        # A short question's intent is a weak guess; ranking its intent's categories first would
        # let a wrong guess push the right document out.
        trusted = own.confidence >= QUESTION_CATEGORY_CONFIDENCE
        knowledge = _search(
            query,
            vector,
            k=PER_QUESTION_K,
            language=language,
            policy=policies.get(own.intent) if trusted else None,
            tool_log=tool_log,
        )
        questions.append(QuestionEvidence(text, query, vector, own, knowledge))
    return questions


def _out_of_scope_probability(
    turn: TurnInput,
    prediction: IntentPrediction,
    index: IntentIndex,
    message_vector: list[float],
    questions: list[QuestionEvidence],
    language: str,
) -> float | None:
    """How likely the message is about something this company does not handle, from the reader's scope
    head and how close the message came to the knowledge base. A reply that leans on the conversation
    ("yes", "and for 300?") is read with what it follows, so it is not judged on its own."""
    if index.reader is None or prediction.method in ("context", "follow_up") or prediction.anchor:
        return None
    similarities = [
        result.vector_similarity
        for question in questions
        for result in question.knowledge
        if result.vector_similarity is not None
    ]
    logit = index.reader.scope_logit(message_vector, turn.message)
    return round(index.reader.out_of_scope_probability(logit, max(similarities, default=0.0), language), 4)


def secondary_intents(prediction: IntentPrediction, questions: list[QuestionEvidence]) -> list[str]:
    """The intents a message touches besides its primary one: those holding at least
    ``SECONDARY_INTENT_PROBABILITY`` of the reader's probability for the whole message, and the
    confident reading of each of its questions. A reply read from the conversation ("yes please")
    touches only what it answers."""
    if prediction.method != "reader":
        return []
    total = sum(prediction.scores.values())
    ranked = sorted(prediction.scores.items(), key=lambda item: item[1], reverse=True)
    touched = [name for name, score in ranked if total > 0 and score / total >= SECONDARY_INTENT_PROBABILITY]
    if len(questions) > 1:
        touched.extend(
            question.prediction.intent
            for question in questions
            if question.prediction.confidence >= QUESTION_CATEGORY_CONFIDENCE
        )
    return [name for name in dict.fromkeys(touched) if name and name != prediction.intent]


def likely_intents(prediction: IntentPrediction, tone: Tone, secondary: Sequence[str] = ()) -> list[str]:
    """The intents a brain will most likely choose or also answer, whose standing queries are worth
    running."""
    intents = [prediction.intent, *secondary]
    if tone.is_complaint:
        intents.append(COMPLAINT)
    return list(dict.fromkeys(intent for intent in intents if intent))


def gather_evidence(
    turn: TurnInput, *, crm: CRMClient, policies: dict[str, IntentPolicy], reference: ReferenceData
) -> Evidence:
    """Read the message, look the prospect up and search the knowledge base, once per turn.

    ``reference`` is what the turn read of the intents and the price book (their version, plan names).
    """
    reasoning: list[str] = []
    tool_log: list[ToolCall] = []
    earlier = earlier_prospect_messages(turn)
    language = detect_language(turn.message, context=earlier)
    reasoning.append(f"Language {language.code} ({language.method}, {language.confidence:.2f}).")
    tone = read_tone(turn.message, language=language.code)

    index = intent_index(reference.intents_version)  # once per turn, current as of that version
    message_vector = embed_query(turn.message)
    # In a long message, greetings and context dilute the whole text's embedding.
    lead = main_question(turn.message) if len(turn.message.split()) > FOCUS_MIN_WORDS else ""
    lead_vector = embed_query(lead) if lead else []
    prediction = classify_intent(
        turn.message,
        message_vector,
        last_agent_message=turn.last_from("agent"),
        earlier_prospect_messages=earlier,
        focus_vectors=[lead_vector] if lead else [],
        focus_texts=[lead] if lead else [],
        language=language.code,
        index=index,
        vocabulary=reference.vocabulary,
    )

    prospect, crm_ok = None, True
    if turn.prospect_id:
        prospect, call = lookup_prospect(crm, turn.prospect_id)
        crm_ok = call.ok
        tool_log.append(call)
        reasoning.append(f"CRM lookup for {turn.prospect_id}: {call.output_summary}.")
    else:
        reasoning.append("No prospect id: no CRM lookup.")

    questions = _questions(
        turn,
        prediction,
        message_vector,
        language=language.code,
        policies=policies,
        index=index,
        tool_log=tool_log,
        vocabulary=reference.vocabulary,
    )
    if len(questions) > 1:
        reasoning.append(f"{len(questions)} questions: " + " | ".join(q.text[:60] for q in questions) + ".")
    # The whole message, its leading question and each question as asked: one risky sentence in a long
    # friendly e-mail is diluted in the whole.
    readings = [(turn.message, message_vector), *([(lead, lead_vector)] if lead else [])]
    readings += [(q.text, q.vector) for q in questions if q.query == q.text and q.text != turn.message]
    learned = read_risks(index.reader, readings)
    risks = detect_risks(turn.message, learned)
    for risk in risks:
        reasoning.append(f"Risky request: {risk.reason}.")
    for risk in learned:
        if risk not in risks:
            reasoning.append(
                f"Possible risky request, not acted on (P < {ACT_ON_PROBABILITY}): {risk.reason}."
            )
    for question in questions:
        question.unknown_terms = unknown_terms(named_things(question.text, reference.vocabulary))
        if question.unknown_terms:
            reasoning.append(f"The knowledge base never mentions {', '.join(question.unknown_terms)}.")

    quote, quote_calls = quote_for(
        turn,
        vocabulary=reference.vocabulary,
        price_book_digest=reference.price_book_digest,
        language=language.code,
    )
    tool_log.extend(quote_calls)
    if quote is not None and (quote.quote or quote.needs_sales or quote.error):
        reasoning.append(f"Quote: {quote.describe()}")

    out_of_scope = _out_of_scope_probability(
        turn, prediction, index, message_vector, questions, language.code
    )
    if out_of_scope is not None:
        reasoning.append(
            f"Out of scope: P={out_of_scope:.2f} (reader v{index.reader.version if index.reader else '-'})."
        )

    secondary = secondary_intents(prediction, questions)
    if secondary:
        reasoning.append(f"Also touches: {', '.join(secondary)}.")
    standing: dict[str, StandingAnswer] = {}
    for intent in likely_intents(prediction, tone, secondary):
        policy = policies.get(intent)
        query = policy.standing_queries.get(language.code, "") if policy else ""
        if query:
            vector = embed_query(query)
            results = _search(query, vector, k=2, language=language.code, policy=policy, tool_log=tool_log)
            standing[intent] = StandingAnswer(query, vector, results)
    return Evidence(
        language=language,
        tone=tone,
        risks=risks,
        prediction=prediction,
        index=index,
        message_vector=message_vector,
        questions=questions,
        standing=standing,
        prospect=prospect,
        crm_ok=crm_ok,
        tool_log=tool_log,
        reasoning=reasoning,
        quote=quote,
        vocabulary=reference.vocabulary,
        out_of_scope_probability=out_of_scope,
        secondary_intents=secondary,
    )
