"""Passwords (argon2), access tokens (JWT) and the scopes each role may hold."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi.security import OAuth2PasswordBearer

from service.models import Role

SCOPES: dict[str, str] = {
    "cases:read": "Read case records of your own jurisdiction",
    "cases:write": "Create and edit cases, events, exhibits and custody",
    "scans:upload": "Upload scans for exhibits",
    "runs:read": "Read correlation runs and their candidates",
    "runs:write": "Start correlation runs",
    "reviews:write": "Record an examiner's decision on a candidate",
    "leads:read": "Read leads",
    "leads:write": "Propose, issue and resolve leads",
    "hits:read": "Read hits (other jurisdictions' cases as opaque references)",
    "disclosures:request": "Ask another jurisdiction to disclose a case behind a hit",
    "disclosures:approve": "Approve or refuse disclosures of your jurisdiction's cases",
    "firearms:search": "Search serial numbers in every register (others' guns as hit / no-hit)",
    "destruction:approve": "Approve or refuse another person's request to destroy a firearm",
    "registry:import": "Import lost-and-stolen registers",
    "traces:answer": "Answer trace requests another jurisdiction addressed to yours (status, answer, documents)",
    "people:read": "Read personal data on people linked to your jurisdiction's cases (need to know; every read logged)",
    "people:write": "Record people and organisations and their roles",
    "people:retention": "Run the retention rule that removes personal data past its period",
    "audit:read": "Read and verify the audit log",
    "admin": "Manage users, jurisdictions and agencies",
}

_READ = ["cases:read", "runs:read", "leads:read", "hits:read", "firearms:search"]

ROLE_SCOPES: dict[Role, list[str]] = {
    Role.lab_submitter: ["cases:read", "cases:write", "scans:upload", "runs:read", "runs:write", "firearms:search"],
    Role.examiner: _READ + ["cases:write", "scans:upload", "runs:write", "reviews:write", "leads:write",
                            "destruction:approve", "traces:answer"],
    Role.analyst: _READ + ["runs:write", "leads:write", "disclosures:request", "disclosures:approve",
                           "destruction:approve", "registry:import", "people:read", "people:write", "traces:answer"],
    # Need to know: of the people around a gun, investigators and prosecutors and the
    # analysts who link them; not the laboratory, which examines objects.
    Role.investigator: _READ + ["disclosures:request", "people:read", "people:write"],
    Role.prosecutor: _READ + ["disclosures:request", "people:read"],
    Role.auditor: ["audit:read"],
    Role.admin: ["admin", "audit:read", "registry:import", "people:retention"],
    # Runs and hits, but only as hit / no-hit with opaque references; a partner answers
    # the trace requests addressed to its jurisdiction.
    Role.partner: ["runs:read", "hits:read", "disclosures:request", "firearms:search", "traces:answer"],
}

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/login/access-token", scopes=SCOPES)

_hasher = PasswordHasher()
_dummy_hash: str | None = None


def configure_hasher(*, time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Cost of new hashes; existing hashes carry their own parameters and still verify."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant work whether or not the user exists (``hashed`` None: unknown user)."""
    global _dummy_hash
    if hashed is None:
        if _dummy_hash is None:
            _dummy_hash = hash_password("not-a-real-password")
        hashed = _dummy_hash
        try:
            _hasher.verify(hashed, "a-different-password")
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def create_access_token(
    *, user_id: int, scopes: list[str], session_id: int, secret: str, algorithm: str, minutes: int
) -> str:
    """A short-lived JWT; ``sid`` names the session (refresh token) it dies with."""
    now = datetime.now(timezone.utc)
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "sid": session_id,
        "scopes": scopes,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(payload, secret, algorithm=algorithm)


def decode_access_token(token: str, *, secret: str, algorithm: str) -> dict[str, Any]:
    """Raises ``jwt.PyJWTError`` for anything forged, expired or malformed."""
    return jwt.decode(token, secret, algorithms=[algorithm], options={"require": ["sub", "sid", "exp"]})
