"""The HubSpot backend: contacts, notes and tasks through HubSpot's CRM v3 API over httpx.

Our prospect id lives in a custom contact property (``HUBSPOT_ID_PROPERTY``, by default
``salesagent_prospect_id``), which contacts are searched by; do-not-contact in
``salesagent_do_not_contact``. Both must exist as contact properties in the HubSpot account.

Failures are explicit: 429 is retried after ``Retry-After`` (or exponential backoff) and 5xx and
timeouts with backoff, at most ``HUBSPOT_MAX_RETRIES`` times, then :class:`CRMRateLimited` or
:class:`CRMUnavailable`; any other 4xx is :class:`CRMRequestRejected` carrying HubSpot's ``message``
and ``category`` (404 is :class:`ContactNotFound`). Creating a note, task or contact is not retried
after a timeout, since HubSpot may have stored it: the proposal's retry searches first instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from django.conf import settings
from tenacity import RetryCallState, Retrying, before_sleep_log, retry_if_exception, stop_after_attempt

from crm.interface import (
    Contact,
    ContactNotFound,
    CRMError,
    CRMRateLimited,
    CRMRequestRejected,
    CRMUnavailable,
    ProspectRecord,
)

logger = logging.getLogger(__name__)

CONTACTS = "/crm/v3/objects/contacts"
NOTES = "/crm/v3/objects/notes"
TASKS = "/crm/v3/objects/tasks"
# HubSpot-defined association type ids (developers.hubspot.com, "Associations v4: type ids").
NOTE_TO_CONTACT = 202
TASK_TO_CONTACT = 204
DO_NOT_CONTACT_PROPERTY = "salesagent_do_not_contact"
# Our stages as HubSpot lead statuses; HubSpot has no "customer" lead status, so a customer is its
# lifecycle stage instead.
STAGE_TO_LEAD_STATUS = {
    "lead": "NEW",
    "contacted": "ATTEMPTED_TO_CONTACT",
    "qualified": "CONNECTED",
    "proposal": "OPEN_DEAL",
    "lost": "UNQUALIFIED",
}
LEAD_STATUS_TO_STAGE = {status: stage for stage, status in STAGE_TO_LEAD_STATUS.items()}
CUSTOMER = "customer"
MAX_BACKOFF_SECONDS = 60.0


class _TimedOut(CRMUnavailable):
    """A request that timed out: HubSpot may have done it, so a write is not simply sent again."""


def _now_iso() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _int(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


class HubSpotCRMClient:
    """HubSpot CRM v3 with bearer-token auth (a private app's access token)."""

    name = "hubspot"
    transactional = False

    def __init__(
        self,
        *,
        access_token: str,
        base_url: str,
        id_property: str,
        timeout_seconds: float,
        max_retries: int,
        backoff_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not access_token:
            raise CRMUnavailable("CRM_BACKEND=hubspot needs HUBSPOT_ACCESS_TOKEN")
        self.id_property = id_property
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self.sleep = sleep
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout_seconds,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )

    @classmethod
    def from_settings(cls) -> HubSpotCRMClient:
        return cls(
            access_token=settings.HUBSPOT_ACCESS_TOKEN,
            base_url=settings.HUBSPOT_BASE_URL,
            id_property=settings.HUBSPOT_ID_PROPERTY,
            timeout_seconds=settings.HUBSPOT_TIMEOUT_SECONDS,
            max_retries=settings.HUBSPOT_MAX_RETRIES,
            backoff_seconds=settings.HUBSPOT_BACKOFF_SECONDS,
        )

    # --- HTTP -----------------------------------------------------------------------------------

    def _wait_seconds(self, state: RetryCallState) -> float:
        """Before retry number ``state.attempt_number``: HubSpot's ``Retry-After`` after a 429, else
        exponential backoff; both capped at ``MAX_BACKOFF_SECONDS``."""
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, CRMRateLimited) and failure.retry_after is not None:
            return min(failure.retry_after, MAX_BACKOFF_SECONDS)
        return min(self.backoff_seconds * 2 ** (state.attempt_number - 1), MAX_BACKOFF_SECONDS)

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        retry_timeouts: bool = True,
        max_retries: int | None = None,
    ) -> dict[str, Any]:
        """One call, retried (tenacity) while it fails transiently: a 429, a 5xx, a network error, or a
        timeout when ``retry_timeouts``; then the last failure is raised."""
        retrying = Retrying(
            stop=stop_after_attempt((self.max_retries if max_retries is None else max_retries) + 1),
            wait=self._wait_seconds,
            retry=retry_if_exception(
                lambda failure: (
                    isinstance(failure, CRMError)
                    and failure.transient
                    and (retry_timeouts or not isinstance(failure, _TimedOut))
                )
            ),
            sleep=self.sleep,
            before_sleep=before_sleep_log(logger, logging.WARNING),
            reraise=True,
        )
        return retrying(self._attempt, method, path, body=body, params=params)

    def _attempt(
        self, method: str, path: str, *, body: dict[str, Any] | None, params: dict[str, str] | None
    ) -> dict[str, Any]:
        try:
            response = self.http.request(method, path, json=body, params=params)
        except httpx.TimeoutException as exc:
            raise _TimedOut(f"HubSpot {method} {path} timed out after {self.timeout_seconds}s") from exc
        except httpx.TransportError as exc:
            raise CRMUnavailable(f"HubSpot {method} {path} unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise self._error(method, path, response)
        return response.json() if response.content else {}

    def _error(self, method: str, path: str, response: httpx.Response) -> CRMError:
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        payload = payload if isinstance(payload, dict) else {}
        message = str(payload.get("message") or response.reason_phrase or "no message")
        category = str(payload.get("category") or payload.get("errorType") or "")
        where = f"HubSpot {method} {path} answered {response.status_code}"
        if response.status_code == 429:
            retry_after = _int(response.headers.get("Retry-After"))
            return CRMRateLimited(
                f"{where} (rate limited, {payload.get('policyName') or category}): {message}",
                retry_after=float(retry_after) if retry_after is not None else None,
            )
        if response.status_code >= 500:
            return CRMUnavailable(f"{where}: {message}")
        if response.status_code == 404:
            return ContactNotFound(f"{where} ({category or 'OBJECT_NOT_FOUND'}): {message}")
        return CRMRequestRejected(
            f"{where} ({category or 'error'}): {message}", status=response.status_code, category=category
        )

    # --- mapping --------------------------------------------------------------------------------

    @property
    def _properties(self) -> list[str]:
        return [
            self.id_property, "firstname", "lastname", "email", "company", "industry",
            "numberofemployees", "hs_lead_status", "lifecyclestage", "hubspotscore",
            "notes_last_contacted", DO_NOT_CONTACT_PROPERTY,
        ]  # fmt: skip

    def _contact(self, obj: dict[str, Any]) -> Contact:
        props: dict[str, Any] = obj.get("properties") or {}
        stage = (
            CUSTOMER
            if props.get("lifecyclestage") == CUSTOMER
            else LEAD_STATUS_TO_STAGE.get(props.get("hs_lead_status") or "", "")
        )
        name = " ".join(part for part in (props.get("firstname"), props.get("lastname")) if part)
        record = ProspectRecord(
            prospect_id=props.get(self.id_property) or "",
            name=name,
            email=props.get("email") or "",
            company=props.get("company") or "",
            industry=props.get("industry") or "",
            employees=_int(props.get("numberofemployees")),
            lead_score=max(0, min(100, _int(props.get("hubspotscore")) or 0)),
            stage=stage,
            last_contacted_at=props.get("notes_last_contacted") or None,
        )
        return Contact(str(obj["id"]), record, str(props.get(DO_NOT_CONTACT_PROPERTY)).lower() == "true")

    def properties_for(self, fields: dict[str, Any]) -> dict[str, str]:
        """Our writable fields as HubSpot contact properties (all values are strings in HubSpot)."""
        props: dict[str, str] = {}
        for name, value in fields.items():
            if name == "name":
                first, _, last = str(value or "").strip().partition(" ")
                props.update(firstname=first, lastname=last)
            elif name == "employees":
                props["numberofemployees"] = "" if value is None else str(value)
            elif name == "stage":
                if value == CUSTOMER:
                    props["lifecyclestage"] = CUSTOMER
                elif value in STAGE_TO_LEAD_STATUS:
                    props["hs_lead_status"] = STAGE_TO_LEAD_STATUS[value]
                else:
                    raise CRMRequestRejected(f"no HubSpot lead status for stage {value!r}")
            elif name == "do_not_contact":
                props[DO_NOT_CONTACT_PROPERTY] = "true" if value else "false"
            elif name in {"email", "company", "industry"}:
                props[name] = str(value or "")
            else:
                raise CRMRequestRejected(f"unknown contact field {name!r}", category="VALIDATION_ERROR")
        return props

    # --- operations -----------------------------------------------------------------------------

    def _search(self, *, prospect_id: str, email: str, max_retries: int | None = None) -> Contact | None:
        groups = [
            {"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}
            for prop, value in ((self.id_property, prospect_id), ("email", email))
            if value
        ]
        if not groups:
            return None
        body = {"filterGroups": groups, "properties": self._properties, "limit": 10}
        found = self._request("POST", f"{CONTACTS}/search", body=body, max_retries=max_retries)
        contacts = [self._contact(obj) for obj in found.get("results") or []]
        by_id = [c for c in contacts if prospect_id and c.record.prospect_id == prospect_id]
        by_email = [c for c in contacts if email and c.record.email.lower() == email.lower()]
        matches = sorted(by_id or by_email, key=lambda c: (len(c.remote_id), c.remote_id))
        return matches[0] if matches else None

    def get_prospect(self, external_id: str) -> ProspectRecord | None:
        # The turn waits for this lookup: one retry at most, and any failure is "CRM unavailable".
        try:
            contact = self._search(prospect_id=external_id, email="", max_retries=min(1, self.max_retries))
        except CRMUnavailable:
            raise
        except CRMError as exc:
            raise CRMUnavailable(str(exc)) from exc
        return contact.record if contact else None

    def log_interaction(
        self, *, external_id: str, kind: str, summary: str, conversation_id: int | None = None
    ) -> None:
        # Nothing reaches a team's HubSpot without a person's approval (or CRM_AUTO_APPLY_ACTIONS): the
        # per-message log stays in our conversations, and approved proposals write the notes.
        logger.debug("not logging %s for %s to HubSpot", kind, external_id)

    def find_contact(self, *, prospect_id: str = "", email: str = "") -> Contact | None:
        return self._search(prospect_id=prospect_id, email=email)

    def read_contact(self, remote_id: str) -> Contact:
        params = {"properties": ",".join(self._properties)}
        return self._contact(self._request("GET", f"{CONTACTS}/{remote_id}", params=params))

    def create_contact(self, *, prospect_id: str, fields: dict[str, Any]) -> Contact:
        props = {self.id_property: prospect_id, **self.properties_for(fields)}
        created = self._request("POST", CONTACTS, body={"properties": props}, retry_timeouts=False)
        return self._contact(created)

    def update_contact(self, remote_id: str, fields: dict[str, Any]) -> Contact:
        body = {"properties": self.properties_for(fields)}
        self._request("PATCH", f"{CONTACTS}/{remote_id}", body=body)
        # PATCH answers with the written properties only; read the contact back whole.
        return self.read_contact(remote_id)

    def _associated(self, path: str, properties: dict[str, str], remote_id: str, type_id: int) -> str:
        body = {
            "properties": properties,
            "associations": [
                {
                    "to": {"id": remote_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
                }
            ],
        }
        return str(self._request("POST", path, body=body, retry_timeouts=False)["id"])

    def add_note(self, remote_id: str, *, body: str, conversation_id: int | None = None) -> str:
        text = f"{body}\n\n(conversation {conversation_id})" if conversation_id else body
        properties = {"hs_timestamp": _now_iso(), "hs_note_body": text[:65536]}
        return self._associated(NOTES, properties, remote_id, NOTE_TO_CONTACT)

    def create_task(self, remote_id: str, *, title: str, body: str, due_at: datetime) -> str:
        properties = {
            "hs_timestamp": due_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "hs_task_subject": title,
            "hs_task_body": body,
            "hs_task_status": "NOT_STARTED",
            "hs_task_type": "TODO",
        }
        return self._associated(TASKS, properties, remote_id, TASK_TO_CONTACT)
