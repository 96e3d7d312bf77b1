"""The local CRM backend: this project's own ``crm`` tables.

A contact's id is the prospect's primary key; notes are :class:`~crm.models.Interaction` rows of kind
note (they sit on the same timeline as the agent's logged messages) and tasks are
:class:`~crm.models.FollowUpTask` rows. Writes join the caller's transaction and drop the cached
record on commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from crm.cache import invalidate_prospect_cache, invalidate_prospect_cache_on_commit
from crm.interface import WRITABLE_FIELDS, Contact, ContactNotFound, CRMRequestRejected, ProspectRecord
from crm.models import FollowUpTask, Interaction, Prospect


def record_from_prospect(prospect: Prospect) -> ProspectRecord:
    return ProspectRecord(
        prospect_id=prospect.external_id,
        name=prospect.name,
        email=prospect.email,
        company=prospect.company,
        industry=prospect.industry,
        employees=prospect.employees,
        lead_score=prospect.lead_score,
        stage=prospect.stage,
        technologies=list(prospect.technologies or []),
        notes=prospect.notes,
        last_contacted_at=prospect.last_contacted_at.isoformat() if prospect.last_contacted_at else None,
    )


def _contact(prospect: Prospect) -> Contact:
    return Contact(str(prospect.pk), record_from_prospect(prospect), prospect.do_not_contact)


def _set_fields(prospect: Prospect, fields: dict[str, Any]) -> list[str]:
    unknown = set(fields) - set(WRITABLE_FIELDS)
    if unknown:
        raise CRMRequestRejected(f"unknown contact fields: {sorted(unknown)}", category="VALIDATION_ERROR")
    if "stage" in fields and fields["stage"] not in Prospect.Stage.values:
        raise CRMRequestRejected(f"unknown stage {fields['stage']!r}", category="VALIDATION_ERROR")
    for name, value in fields.items():
        setattr(prospect, name, "" if value is None and name != "employees" else value)
    return list(fields)


class LocalCRMClient:
    """The CRM is this project's own ``crm`` tables."""

    name = "local"
    # Its writes join our transaction, so they roll back with a failed application.
    transactional = True

    def get_prospect(self, external_id: str) -> ProspectRecord | None:
        prospect = Prospect.objects.filter(external_id=external_id).first()
        return record_from_prospect(prospect) if prospect else None

    def log_interaction(
        self, *, external_id: str, kind: str, summary: str, conversation_id: int | None = None
    ) -> None:
        # One statement where a read and two writes were (it runs after every turn): stamp the
        # prospect and add the interaction together; an unknown prospect gets neither.
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH prospect AS (UPDATE {Prospect._meta.db_table} SET last_contacted_at = %s "
                "WHERE external_id = %s RETURNING id) "
                f"INSERT INTO {Interaction._meta.db_table} "
                "(prospect_id, conversation_id, kind, summary, created_at) "
                "SELECT id, %s, %s, %s, %s FROM prospect",
                [now, external_id, conversation_id, kind, summary[:2000], now],
            )
        invalidate_prospect_cache(external_id)

    def find_contact(self, *, prospect_id: str = "", email: str = "") -> Contact | None:
        prospect = Prospect.objects.filter(external_id=prospect_id).first() if prospect_id else None
        if prospect is None and email:
            prospect = Prospect.objects.filter(email__iexact=email).order_by("pk").first()
        return _contact(prospect) if prospect else None

    def _locked(self, remote_id: str) -> Prospect:
        prospect = Prospect.objects.select_for_update().filter(pk=int(remote_id)).first()
        if prospect is None:
            raise ContactNotFound(f"no local prospect with id {remote_id}")
        return prospect

    def read_contact(self, remote_id: str) -> Contact:
        prospect = Prospect.objects.filter(pk=int(remote_id)).first()
        if prospect is None:
            raise ContactNotFound(f"no local prospect with id {remote_id}")
        return _contact(prospect)

    @transaction.atomic
    def create_contact(self, *, prospect_id: str, fields: dict[str, Any]) -> Contact:
        prospect = Prospect(external_id=prospect_id)
        _set_fields(prospect, fields)
        prospect.name = prospect.name or prospect.email or prospect_id
        prospect.save()
        invalidate_prospect_cache_on_commit(prospect_id)
        return _contact(prospect)

    @transaction.atomic
    def update_contact(self, remote_id: str, fields: dict[str, Any]) -> Contact:
        prospect = self._locked(remote_id)
        changed = _set_fields(prospect, fields)
        prospect.save(update_fields=[*changed, "updated_at"])
        invalidate_prospect_cache_on_commit(prospect.external_id)
        return _contact(prospect)

    @transaction.atomic
    def add_note(self, remote_id: str, *, body: str, conversation_id: int | None = None) -> str:
        prospect = self._locked(remote_id)
        note = Interaction.objects.create(
            prospect=prospect, conversation_id=conversation_id, kind=Interaction.Kind.NOTE, summary=body
        )
        return str(note.pk)

    @transaction.atomic
    def create_task(self, remote_id: str, *, title: str, body: str, due_at: datetime) -> str:
        prospect = self._locked(remote_id)
        task = FollowUpTask.objects.create(prospect=prospect, title=title[:200], body=body, due_at=due_at)
        return str(task.pk)
