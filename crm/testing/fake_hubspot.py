"""A fake HubSpot CRM v3 API on 127.0.0.1, for tests: contacts, notes and tasks in memory.

A real HTTP server (``ThreadingHTTPServer`` in a thread, free port) implements the endpoints the
HubSpot backend uses with HubSpot's documented request and response shapes: contact search
(``filterGroups`` ORed, filters ANDed, ``EQ``), read with ``?properties=``, create, update, and notes
and tasks created with ``associations`` to a contact (association type ids 202 and 204). It checks the
bearer token, rejects unknown properties and invalid lead statuses with HubSpot's
``VALIDATION_ERROR`` body, answers 409 for a duplicate email, and records every request. Tests
script failures for the next requests: :meth:`FakeHubSpot.rate_limit` (429 with ``Retry-After`` and
HubSpot's rate-limit body) and :meth:`FakeHubSpot.fail` (5xx).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from testing.local_server import LocalHTTPServer

CONTACT_PROPERTIES = {
    "firstname", "lastname", "email", "company", "industry", "numberofemployees", "hs_lead_status",
    "lifecyclestage", "hubspotscore", "notes_last_contacted", "phone", "website", "jobtitle",
}  # fmt: skip
DEFAULT_CONTACT_PROPERTIES = (
    "createdate",
    "email",
    "firstname",
    "hs_object_id",
    "lastmodifieddate",
    "lastname",
)
LEAD_STATUSES = {
    "NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED",
    "BAD_TIMING",
}  # fmt: skip
NOTE_TO_CONTACT = 202
TASK_TO_CONTACT = 204


def _now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error_body(message: str, category: str, **extra: Any) -> dict[str, Any]:
    """HubSpot's error body."""
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""  # only requests to this path (prefix); "" for any
    delay: float = 0.0  # seconds before answering (a stalled HubSpot)
    passthrough: bool = False  # after the delay, answer as HubSpot would


class HubSpotError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


class FakeHubSpot(LocalHTTPServer):
    """The server: ``contacts``, ``notes`` and ``tasks`` hold stored objects; ``requests`` what was sent."""

    def __init__(self, *, token: str = "test-hubspot-token", custom_properties: tuple[str, ...] = ()) -> None:
        self.token = token
        self.known_properties = CONTACT_PROPERTIES | set(custom_properties)
        self.contacts: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self._ids = itertools.count(1001)
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._serve(self._handler_class(), name="fake-hubspot")

    @property
    def base_url(self) -> str:
        return self.origin

    # --- scripting ------------------------------------------------------------------------------

    def rate_limit(self, times: int = 1, *, retry_after: int = 1, path: str = "") -> None:
        """Answer the next ``times`` requests (to ``path``) with HubSpot's 429 (ten-secondly limit)."""
        body = error_body(
            "You have reached your ten_secondly_rolling limit.",
            "RATE_LIMITS",
            errorType="RATE_LIMIT",
            policyName="TEN_SECONDLY_ROLLING",
        )
        with self._lock:
            self._script.extend(
                Scripted(429, body, {"Retry-After": str(retry_after)}, path) for _ in range(times)
            )

    def fail(self, times: int = 1, *, status: int = 502, path: str = "") -> None:
        """Answer the next ``times`` requests (to ``path``) with a server error."""
        body = error_body("internal error", "INTERNAL_ERROR")
        with self._lock:
            self._script.extend(Scripted(status, body, {}, path) for _ in range(times))

    def stall(self, times: int = 1, *, seconds: float, path: str = "") -> None:
        """Answer the next ``times`` requests (to ``path``) only after ``seconds`` (then normally)."""
        with self._lock:
            self._script.extend(Scripted(0, {}, {}, path, seconds, True) for _ in range(times))

    def _scripted(self, path: str) -> Scripted | None:
        for scripted in self._script:
            if path.startswith(scripted.path):
                self._script.remove(scripted)
                return scripted
        return None

    def add_contact(self, properties: dict[str, str]) -> str:
        """Store a contact directly (what the account already holds); returns its id."""
        return self._create_contact({"properties": properties})["id"]

    def calls(self, method: str, path: str) -> list[Recorded]:
        """The recorded requests with this method and path."""
        return [r for r in self.requests if r.method == method and r.path == path]

    # --- the API --------------------------------------------------------------------------------

    def _object(self, store: dict[str, dict[str, Any]], properties: dict[str, Any]) -> dict[str, Any]:
        object_id = str(next(self._ids))
        now = _now()
        obj = {
            "id": object_id,
            "properties": {
                **properties,
                "hs_object_id": object_id,
                "createdate": now,
                "lastmodifieddate": now,
            },
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
            "associations": {},
        }
        store[object_id] = obj
        return obj

    def _check_properties(self, properties: Any) -> dict[str, str]:
        if not isinstance(properties, dict):
            raise HubSpotError(
                400, error_body("Invalid input JSON: properties must be an object", "VALIDATION_ERROR")
            )
        errors = [
            {
                "isValid": False,
                "message": f'Property "{name}" does not exist',
                "error": "PROPERTY_DOESNT_EXIST",
                "name": name,
            }
            for name in properties
            if name not in self.known_properties
        ]
        status = properties.get("hs_lead_status")
        if status and status not in LEAD_STATUSES:
            errors.append(
                {
                    "isValid": False,
                    "message": f"{status} was not one of the allowed options",
                    "error": "INVALID_OPTION",
                    "name": "hs_lead_status",
                }
            )
        if errors:
            raise HubSpotError(
                400, error_body(f"Property values were not valid: {json.dumps(errors)}", "VALIDATION_ERROR")
            )
        return {key: "" if value is None else str(value) for key, value in properties.items()}

    def _create_contact(self, body: dict[str, Any]) -> dict[str, Any]:
        properties = self._check_properties(body.get("properties"))
        email = properties.get("email", "").lower()
        for existing in self.contacts.values():
            if email and existing["properties"].get("email", "").lower() == email:
                raise HubSpotError(
                    409, error_body(f"Contact already exists. Existing ID: {existing['id']}", "CONFLICT")
                )
        return self._object(self.contacts, properties)

    def _contact(self, contact_id: str) -> dict[str, Any]:
        contact = self.contacts.get(contact_id)
        if contact is None or contact["archived"]:
            raise HubSpotError(
                404,
                error_body(
                    "Object not found.  objectId are usually numeric.",
                    "OBJECT_NOT_FOUND",
                    context={"id": [contact_id]},
                ),
            )
        return contact

    @staticmethod
    def _view(obj: dict[str, Any], properties: list[str] | None) -> dict[str, Any]:
        wanted = list(properties or DEFAULT_CONTACT_PROPERTIES)
        wanted += [name for name in ("hs_object_id", "createdate", "lastmodifieddate") if name not in wanted]
        shown = {name: obj["properties"].get(name) for name in wanted}
        return {key: obj[key] for key in ("id", "createdAt", "updatedAt", "archived")} | {"properties": shown}

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        groups = body.get("filterGroups") or []
        if len(groups) > 5 or sum(len(g.get("filters") or []) for g in groups) > 18:
            raise HubSpotError(400, error_body("Too many filter groups or filters", "VALIDATION_ERROR"))

        def matches(contact: dict[str, Any], group: dict[str, Any]) -> bool:
            for condition in group.get("filters") or []:
                if condition.get("operator") != "EQ":
                    raise HubSpotError(
                        400,
                        error_body(f"Unsupported operator {condition.get('operator')}", "VALIDATION_ERROR"),
                    )
                value = str(contact["properties"].get(condition["propertyName"]) or "")
                if value.lower() != str(condition.get("value", "")).lower():
                    return False
            return True

        found = [
            c
            for c in self.contacts.values()
            if not c["archived"] and (not groups or any(matches(c, g) for g in groups))
        ]
        limit = int(body.get("limit") or 10)
        return {
            "total": len(found),
            "results": [self._view(c, body.get("properties")) for c in found[:limit]],
        }

    def _associate(self, body: dict[str, Any], type_id: int) -> str:
        associations = body.get("associations") or []
        for association in associations:
            contact_id = str((association.get("to") or {}).get("id"))
            self._contact(contact_id)
            type_ids = [t.get("associationTypeId") for t in association.get("types") or []]
            categories = [t.get("associationCategory") for t in association.get("types") or []]
            if type_ids != [type_id] or categories != ["HUBSPOT_DEFINED"]:
                raise HubSpotError(
                    400, error_body(f"invalid association type {type_ids} {categories}", "VALIDATION_ERROR")
                )
            return contact_id
        return ""

    def _engagement(
        self, store: dict[str, dict[str, Any]], body: dict[str, Any], type_id: int
    ) -> dict[str, Any]:
        properties = body.get("properties") or {}
        if not properties.get("hs_timestamp"):
            raise HubSpotError(
                400,
                error_body("Property values were not valid: hs_timestamp is required", "VALIDATION_ERROR"),
            )
        contact_id = self._associate(body, type_id)
        obj = self._object(store, {key: str(value) for key, value in properties.items()})
        obj["associations"] = {"contacts": [contact_id]} if contact_id else {}
        return {key: obj[key] for key in ("id", "properties", "createdAt", "updatedAt", "archived")}

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        contacts = "/crm/v3/objects/contacts"
        if method == "POST" and path == f"{contacts}/search":
            return 200, self._search(body)
        if method == "POST" and path == contacts:
            return 201, self._view(self._create_contact(body), list(body["properties"]))
        if path.startswith(f"{contacts}/") and method in {"GET", "PATCH"}:
            contact = self._contact(path.rsplit("/", 1)[1])
            if method == "GET":
                wanted = ",".join(query.get("properties", [])).split(",") if query.get("properties") else None
                return 200, self._view(contact, [w for w in wanted or [] if w] or None)
            properties = self._check_properties(body.get("properties"))
            contact["properties"].update(properties)
            contact["properties"]["lastmodifieddate"] = contact["updatedAt"] = _now()
            return 200, self._view(contact, list(properties))
        if method == "POST" and path == "/crm/v3/objects/notes":
            return 201, self._engagement(self.notes, body, NOTE_TO_CONTACT)
        if method == "POST" and path == "/crm/v3/objects/tasks":
            return 201, self._engagement(self.tasks, body, TASK_TO_CONTACT)
        return 404, error_body(f"No route for {method} {path}", "OBJECT_NOT_FOUND")

    def _respond(
        self, method: str, raw_path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        url = urlsplit(raw_path)
        query = parse_qs(url.query)
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = None
        with self._lock:
            self.requests.append(Recorded(method, url.path, query, body, headers))
            if headers.get("Authorization") != f"Bearer {self.token}":
                return (
                    401,
                    error_body(
                        "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
                        "INVALID_AUTHENTICATION",
                    ),
                    {},
                )
            scripted = self._scripted(url.path)
        if scripted is not None:
            time.sleep(scripted.delay)
            if not scripted.passthrough:
                return scripted.status, scripted.body, scripted.headers
        with self._lock:
            if body is None:
                return 400, error_body("Invalid input JSON on line 1", "VALIDATION_ERROR"), {}
            try:
                status, payload = self.handle(method, url.path, query, body)
            except HubSpotError as exc:
                return exc.status, exc.body, {}
            return status, payload, {}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload, extra = fake._respond(self.command, self.path, dict(self.headers), raw)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out (a stall test); nothing to deliver

            do_GET = do_POST = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:  # tests read requests, not logs
                pass

        return Handler
