"""Signing in: throttling, lockout, sessions with revocable refresh tokens.

Failed sign-ins are rows in the database (``login_failure``), so the limits hold
across every API process sharing it (an in-memory limiter such as slowapi's default
storage counts per process, and a restart would forget; its shared back ends need a
Redis the deployment does not otherwise have).

* An address with ``login_max_failures_per_address`` failures in the window is
  throttled (429, ``Retry-After``) whatever username it tries.
* A username with ``login_max_failures_per_account`` failures in the window is locked
  (423): the password is not even checked until the failures age out of the window or
  an administrator lifts the lock. Unknown usernames lock the same way, so the answer
  does not tell whether an account exists.
* A session is one ``refresh_token`` row; its token is stored as a SHA-256 and
  replaced at each refresh. Access tokens name the session and die with it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from fastapi import HTTPException, status
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service import audit
from service.core.config import Settings
from service.core.security import ROLE_SCOPES, create_access_token, verify_password
from service.models import LoginFailure, RefreshToken, User
from service.schemas import Token

UNAUTHORISED = {"WWW-Authenticate": "Bearer"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _failures(session: Session, *, since: datetime, username: str | None = None, address: str | None = None) -> int:
    q = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since)
    if username is not None:
        q = q.where(LoginFailure.username == username)
    if address is not None:
        q = q.where(LoginFailure.address == address)
    return session.scalar(q) or 0


def is_locked(session: Session, settings: Settings, username: str, user: User | None = None) -> bool:
    since = _now() - timedelta(minutes=settings.login_window_minutes)
    if user is not None and user.failures_cleared_at is not None:
        since = max(since, user.failures_cleared_at)
    return _failures(session, since=since, username=username) >= settings.login_max_failures_per_account


def _refuse(session: Session, code: int, detail: str, headers: dict[str, str] | None = None) -> HTTPException:
    session.commit()  # the failure and its audit entry stay, whatever the caller does next
    return HTTPException(code, detail=detail, headers=headers)


def sign_in(session: Session, settings: Settings, *, username: str, password: str, address: str,
            requested_scopes: list[str]) -> Token:
    """Check the password under the throttling rules; a new session's tokens, or an HTTP error."""
    username = username[:80]
    address = address[:64]
    window = timedelta(minutes=settings.login_window_minutes)
    if _failures(session, since=_now() - window, address=address) >= settings.login_max_failures_per_address:
        audit.record(session, None, "login.throttled", "address", address, username=username)
        raise _refuse(session, status.HTTP_429_TOO_MANY_REQUESTS,
                      "too many failed sign-ins from this address; try again later",
                      {"Retry-After": str(int(window.total_seconds()))})
    user = session.scalar(select(User).where(User.username == username))
    if is_locked(session, settings, username, user):
        audit.record(session, None, "login.failed", "user", user.id if user else "", username=username,
                     address=address, reason="locked")
        raise _refuse(session, status.HTTP_423_LOCKED,
                      "this account is locked after repeated failed sign-ins; an administrator can unlock it")
    ok = verify_password(password, user.hashed_password if user else None)
    if user is None or not ok or not user.is_active:
        session.add(LoginFailure(username=username, address=address))
        session.flush()
        audit.record(session, None, "login.failed", "user", user.id if user else "", username=username,
                     address=address, reason="inactive" if (user and ok) else "credentials")
        if is_locked(session, settings, username, user):
            audit.record(session, None, "login.locked", "user", user.id if user else "", username=username,
                         address=address, failures=settings.login_max_failures_per_account,
                         window_minutes=settings.login_window_minutes)
        raise _refuse(session, status.HTTP_401_UNAUTHORIZED, "incorrect username or password", UNAUTHORISED)
    allowed = ROLE_SCOPES[user.role]
    scopes = [s for s in requested_scopes if s in allowed] if requested_scopes else list(allowed)
    user.failures_cleared_at = _now()
    token = open_session(session, settings, user, scopes)
    audit.record(session, user, "login", "user", user.id, scopes=scopes, address=address)
    session.commit()
    return token


def _tokens(settings: Settings, user: User, row: RefreshToken, raw: str, scopes: list[str]) -> Token:
    access = create_access_token(
        user_id=user.id, scopes=scopes, session_id=row.id, secret=settings.secret,
        algorithm=settings.jwt_algorithm, minutes=settings.access_token_minutes,
    )
    return Token(access_token=access, refresh_token=raw, expires_in=settings.access_token_minutes * 60, scopes=scopes)


def open_session(session: Session, settings: Settings, user: User, scopes: list[str]) -> Token:
    raw = secrets.token_urlsafe(32)
    row = RefreshToken(user_id=user.id, token_hash=token_hash(raw), scopes=" ".join(scopes),
                       expires_at=_now() + timedelta(days=settings.refresh_token_days))
    session.add(row)
    session.flush()
    return _tokens(settings, user, row, raw, scopes)


def refresh(session: Session, settings: Settings, raw: str) -> Token:
    """A new access token and a new refresh token for a live session; the old refresh token dies."""
    digest = token_hash(raw)
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest))
    if row is None:
        reused = session.scalar(select(RefreshToken).where(RefreshToken.previous_hash == digest))
        if reused is not None and reused.revoked_at is None:
            # A replaced token came back: someone holds a copy. End the session.
            reused.revoked_at, reused.revoked_reason = _now(), "refresh token reused"
            audit.record(session, None, "session.revoke", "user", reused.user_id, session_id=reused.id,
                         reason="refresh token reused")
        raise _refuse(session, status.HTTP_401_UNAUTHORIZED, "invalid refresh token", UNAUTHORISED)
    user = session.get(User, row.user_id)
    if row.revoked_at is not None or row.expires_at <= _now() or user is None or not user.is_active:
        raise _refuse(session, status.HTTP_401_UNAUTHORIZED, "refresh token expired or revoked", UNAUTHORISED)
    new_raw = secrets.token_urlsafe(32)
    row.previous_hash, row.token_hash = row.token_hash, token_hash(new_raw)
    scopes = row.scopes.split()
    token = _tokens(settings, user, row, new_raw, scopes)
    audit.record(session, user, "token.refresh", "user", user.id, session_id=row.id)
    session.commit()
    return token


def session_alive(session: Session, session_id: object, user_id: int) -> bool:
    if not isinstance(session_id, int):
        return False
    row = session.get(RefreshToken, session_id)
    return row is not None and row.user_id == user_id and row.revoked_at is None


def revoke_session(session: Session, session_id: int, reason: str) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == session_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=_now(), revoked_reason=reason)
    )


def revoke_all(session: Session, user_id: int, reason: str) -> int:
    """End every session of a user at once (their access and refresh tokens stop working)."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=_now(), revoked_reason=reason)
    )
    return result.rowcount or 0
