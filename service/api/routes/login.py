"""Signing in and out: OAuth2 password flow, refresh, sign-out.

The access token is a short-lived JWT whose scopes are those of the user's role (or
fewer, if asked); the refresh token renews it and is revoked by sign-out, a password
change or deactivation. Throttling and lockout: :mod:`service.crud.signin`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from service import audit
from service.api.deps import CurrentUser, SessionDep, SessionIdDep, SettingsDep
from service.api.types import errors
from service.crud import signin
from service.models import User
from service.schemas import RefreshRequest, Token, UserPublic

router = APIRouter(tags=["login"])


def client_address(request: Request) -> str:
    # Behind the reverse proxy uvicorn puts the X-Forwarded-For client here (--proxy-headers).
    return request.client.host if request.client else "unknown"


@router.post("/login/access-token", response_model=Token, responses=errors(423, 429))
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: SessionDep, settings: SettingsDep
) -> Token:
    if "\x00" in form.username or "\x00" in form.password:
        raise HTTPException(422, detail="username and password may not contain NUL characters")
    return signin.sign_in(session, settings, username=form.username, password=form.password,
                          address=client_address(request), requested_scopes=list(form.scopes))


@router.post("/login/refresh", response_model=Token)
def refresh_token(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> Token:
    """Trade a refresh token for a new access token and a new refresh token (the old one dies)."""
    return signin.refresh(session, settings, body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(user: CurrentUser, session_id: SessionIdDep, session: SessionDep) -> Response:
    """End this session: its access and refresh tokens stop working at once."""
    signin.revoke_session(session, session_id, "signed out")
    audit.record(session, user, "logout", "user", user.id, session_id=session_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/me", response_model=UserPublic)
def me(user: CurrentUser) -> User:
    return user
