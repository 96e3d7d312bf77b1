"""What every CRM backend offers: the records it returns, the errors it raises, and its operations.

The agent reads :class:`ProspectRecord` values on every turn; approved proposals write through the
same interface (find, read, create and update a contact, add a note, create a follow-up task), so a
backend is a drop-in: the local tables (``crm/backends/local.py``) or HubSpot (``crm/backends/hubspot.py``).
Field names are ours (``stage``, ``do_not_contact``); each backend maps them to its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

# The fields a proposal may write on a contact, in our vocabulary.
WRITABLE_FIELDS = ("name", "email", "company", "industry", "employees", "stage", "do_not_contact")


class CRMError(RuntimeError):
    """A CRM operation failed; ``transient`` errors are worth retrying later."""

    transient = False


class CRMUnavailable(CRMError):
    """The CRM could not be reached, timed out or kept failing (5xx); the turn goes on without CRM data."""

    transient = True


class CRMRateLimited(CRMUnavailable):
    """The CRM kept answering 429 after the bounded retries; ``retry_after`` is its last hint (seconds)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CRMRequestRejected(CRMError):
    """The CRM refused the request (4xx): retrying the same request will not help."""

    def __init__(self, message: str, *, status: int = 400, category: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.category = category


class ContactNotFound(CRMError):
    """The contact a write targets does not exist (e.g. its lead was not created yet)."""


@dataclass(frozen=True)
class ProspectRecord:
    prospect_id: str
    name: str
    email: str = ""
    company: str = ""
    industry: str = ""
    employees: int | None = None
    lead_score: int = 0
    stage: str = ""
    technologies: list[str] = field(default_factory=list)
    notes: str = ""
    last_contacted_at: str | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Contact:
    """A contact as a write sees it: the backend's own id, the record, and do-not-contact."""

    remote_id: str
    record: ProspectRecord
    do_not_contact: bool = False

    def fields(self) -> dict[str, Any]:
        """The writable fields' current values, for an audit's "before"."""
        values = {name: getattr(self.record, name, None) for name in WRITABLE_FIELDS}
        values["do_not_contact"] = self.do_not_contact
        return values


class CRMClient(Protocol):
    """A CRM backend. Reads never raise for an unknown prospect (None); failures raise :class:`CRMError`."""

    name: str
    # Whether its writes join the database transaction (the local tables) or are remote.
    transactional: bool

    def get_prospect(self, external_id: str) -> ProspectRecord | None:
        """The prospect with this id, or None when the CRM does not know it."""

    def log_interaction(
        self, *, external_id: str, kind: str, summary: str, conversation_id: int | None = None
    ) -> None:
        """Record an interaction with a known prospect."""

    def find_contact(self, *, prospect_id: str = "", email: str = "") -> Contact | None:
        """The contact with this prospect id (preferred) or else this email, or None."""

    def read_contact(self, remote_id: str) -> Contact:
        """A contact by the backend's id; :class:`ContactNotFound` when it is gone."""

    def create_contact(self, *, prospect_id: str, fields: dict[str, Any]) -> Contact:
        """Create a contact with our id and these writable fields."""

    def update_contact(self, remote_id: str, fields: dict[str, Any]) -> Contact:
        """Set these writable fields on a contact; returns it as stored."""

    def add_note(self, remote_id: str, *, body: str, conversation_id: int | None = None) -> str:
        """Add a note to a contact's timeline; returns the note's id."""

    def create_task(self, remote_id: str, *, title: str, body: str, due_at: datetime) -> str:
        """Create a follow-up task associated with a contact; returns the task's id."""
