"""Who is asking and what they may do: scopes, and the :class:`Access` every write service checks.

An API key carries scopes; a staff user signed in to the admin (or the Swagger UI) has every scope;
management commands, the demo loader, Celery tasks and evaluation runs act as :data:`SYSTEM`.
Services take an ``access`` and call :meth:`Access.require`; a missing scope raises
:class:`ScopeDenied`, which the API's exception handler turns into a 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models

from salesagent.errors import DomainError


class Scope(models.TextChoices):
    TURNS_WRITE = "turns:write", "turns:write: send prospect messages and record sent replies"
    CONVERSATIONS_READ = "conversations:read", "conversations:read: read and continue every conversation"
    KNOWLEDGE_READ = "knowledge:read", "knowledge:read: search and read knowledge documents"
    KNOWLEDGE_WRITE = "knowledge:write", "knowledge:write: create, edit and delete knowledge documents"
    CRM_READ = "crm:read", "crm:read: read prospects and their interactions"
    CRM_WRITE = "crm:write", "crm:write: create, edit and delete prospects"
    EVALUATION_READ = "evaluation:read", "evaluation:read: read evaluation runs"
    REVIEWS_READ = "reviews:read", "reviews:read: read the review queue and the proposed CRM changes"
    REVIEWS_WRITE = "reviews:write", "reviews:write: approve, edit or reject drafts and proposed CRM changes"


ALL_SCOPES: frozenset[str] = frozenset(Scope.values)
# What `create_api_token NAME` gives without --scopes: a chat widget's or an inbox's key. It answers
# turns, reads the knowledge base and the CRM, and sees only the conversations it created.
DEFAULT_SCOPES: tuple[str, ...] = (Scope.TURNS_WRITE, Scope.KNOWLEDGE_READ, Scope.CRM_READ)


class ScopeDenied(DomainError, PermissionError):
    """The caller's key lacks the scope an operation needs."""

    status_code = 403
    code = "scope_denied"

    def __init__(self, scope: str) -> None:
        super().__init__(f"This API key lacks the {scope!r} scope.")
        self.scope = scope

    def extra(self) -> dict[str, str]:
        return {"required_scope": self.scope}


@dataclass(frozen=True)
class Access:
    """The scopes of one caller, and which API key (if any) it is, for ownership of conversations."""

    scopes: frozenset[str]
    user_id: int | None = None
    api_key_id: str | None = None
    label: str = ""

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise ScopeDenied(scope)

    @property
    def sees_every_conversation(self) -> bool:
        """Without ``conversations:read`` a key sees only the conversations it created."""
        return Scope.CONVERSATIONS_READ in self.scopes

    @classmethod
    def for_user(cls, user: Any) -> Access:
        """A signed-in user without a key (admin, playground, Swagger UI): staff may do everything."""
        if user is None or not user.is_authenticated:
            return ANONYMOUS
        scopes = ALL_SCOPES if user.is_staff else frozenset()
        return cls(scopes=scopes, user_id=user.pk, label=f"user:{user.get_username()}")


SYSTEM = Access(scopes=ALL_SCOPES, label="system")
ANONYMOUS = Access(scopes=frozenset(), label="anonymous")
