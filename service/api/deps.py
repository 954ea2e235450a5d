"""Dependencies every route declares: a database session, the caller, and their scopes."""

from __future__ import annotations

from typing import Annotated, Iterator

import jwt
from fastapi import Depends, Request, Security
from fastapi.security import SecurityScopes
from sqlalchemy.orm import Session

from service import reasons
from service.core.config import Settings
from service.core.security import decode_access_token, oauth2_scheme
from service.crud.signin import session_alive
from service.models import User


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
TokenDep = Annotated[str, Depends(oauth2_scheme)]


def get_current_user(
    security_scopes: SecurityScopes, session: SessionDep, token: TokenDep, settings: SettingsDep
) -> User:
    authenticate = (
        f'Bearer scope="{security_scopes.scope_str}"' if security_scopes.scopes else "Bearer"
    )
    unauthorised = reasons.credentials_invalid({"WWW-Authenticate": authenticate})
    try:
        payload = decode_access_token(token, secret=settings.secret, algorithm=settings.jwt_algorithm)
        user_id = int(payload["sub"])
    except (jwt.PyJWTError, KeyError, ValueError):
        raise unauthorised from None
    user = session.get(User, user_id)
    if user is None or not user.is_active or not session_alive(session, payload.get("sid"), user.id):
        raise unauthorised
    # End the read transaction now: on SQLite every transaction holds the write lock,
    # and a route may do seconds of computing before it next touches the database.
    session.commit()
    granted = set(payload.get("scopes", []))
    missing = [s for s in security_scopes.scopes if s not in granted]
    if missing:
        raise reasons.missing_scope(missing, headers={"WWW-Authenticate": authenticate})
    return user


CurrentUser = Annotated[User, Security(get_current_user)]


def get_session_id(token: TokenDep, settings: SettingsDep) -> int:
    """The session the caller's (already validated) access token belongs to."""
    return int(decode_access_token(token, secret=settings.secret, algorithm=settings.jwt_algorithm)["sid"])


SessionIdDep = Annotated[int, Depends(get_session_id)]


def scoped(*scopes: str):
    """``Annotated`` type for a caller who holds every scope given."""
    return Annotated[User, Security(get_current_user, scopes=list(scopes))]


CaseReader = scoped("cases:read")
CaseWriter = scoped("cases:write")
Uploader = scoped("scans:upload")
RunReader = scoped("runs:read")
RunWriter = scoped("runs:write")
Reviewer = scoped("reviews:write")
LeadReader = scoped("leads:read")
LeadWriter = scoped("leads:write")
HitReader = scoped("hits:read")
DisclosureRequester = scoped("disclosures:request")
DisclosureApprover = scoped("disclosures:approve")
SerialSearcher = scoped("firearms:search")
DestructionApprover = scoped("destruction:approve")
RegistryImporter = scoped("registry:import")
TraceAnswerer = scoped("traces:answer")
PeopleReader = scoped("people:read")
PeopleWriter = scoped("people:write")
RetentionRunner = scoped("people:retention")
Auditor = scoped("audit:read")
Admin = scoped("admin")


def read_upload(file, settings: Settings, *, allow_empty: bool = False) -> bytes:
    """An uploaded file's bytes, refused (413-style reason) beyond ``settings.max_upload_bytes``.

    Reads one byte past the limit, so an oversized upload is never held whole.
    ``allow_empty`` leaves an empty file to the caller's own check (a scan
    reader or register parser names the problem more precisely).
    """
    data = file.file.read(settings.max_upload_bytes + 1)
    if not data and not allow_empty:
        raise reasons.empty_upload()
    if len(data) > settings.max_upload_bytes:
        raise reasons.upload_too_large(settings.max_upload_bytes)
    return data
