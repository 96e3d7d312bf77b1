"""Forms for staff: the playground, and intent editing in the admin."""

from __future__ import annotations

from django import forms
from django.conf import settings

from conversations.models import INTENT_POLICY_FIELDS, REPLY_FRAME_KEYS, Intent
from crm.models import Prospect
from salesagent.api_fields import MAX_OBJECT_ID


class PlaygroundForm(forms.Form):
    message = forms.CharField(
        max_length=settings.MAX_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Can I pay in installments?"}),
    )
    prospect = forms.ModelChoiceField(
        queryset=Prospect.objects.order_by("external_id"),
        required=False,
        empty_label="(unknown prospect)",
        to_field_name="external_id",
    )
    conversation_id = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_OBJECT_ID,
        help_text="Continue a stored conversation (its history is used).",
    )


class LinesField(forms.Field):
    """A list of strings edited as one string per line."""

    widget = forms.Textarea(attrs={"rows": 12, "cols": 100})

    def prepare_value(self, value: object) -> object:
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: object) -> list[str]:
        text = "" if value in self.empty_values else str(value)
        return [line.strip() for line in text.splitlines() if line.strip()]


class IntentAdminForm(forms.ModelForm):
    examples = LinesField(required=False, help_text="Example utterances, one per line.")
    knowledge_categories = LinesField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Knowledge-base categories where answers usually live, one per line.",
    )

    class Meta:
        model = Intent
        fields = ("name", "description", "is_active", *INTENT_POLICY_FIELDS, "examples")

    def clean_reply_frames(self) -> dict[str, dict[str, str]]:
        frames = self.cleaned_data.get("reply_frames") or {}
        if not isinstance(frames, dict):
            raise forms.ValidationError('Expected {"<language>": {"opener": "...", "closer": "..."}}.')
        for language, frame in frames.items():
            if not isinstance(frame, dict) or not all(isinstance(frame.get(k, ""), str) for k in frame):
                raise forms.ValidationError(f"{language}: expected an object with opener and closer text.")
            unknown = set(frame) - set(REPLY_FRAME_KEYS)
            if unknown:
                raise forms.ValidationError(f"{language}: unknown keys {sorted(unknown)}.")
        return frames

    def clean_standing_queries(self) -> dict[str, str]:
        queries = self.cleaned_data.get("standing_queries") or {}
        if not isinstance(queries, dict) or not all(isinstance(v, str) for v in queries.values()):
            raise forms.ValidationError('Expected {"<language>": "query text"}.')
        return queries
