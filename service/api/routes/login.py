"""OAuth2 password flow: a JWT whose scopes are those of the user's role (or fewer, if asked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from service import audit
from service.api.deps import CurrentUser, SessionDep, SettingsDep
from service.core.security import ROLE_SCOPES, create_access_token, verify_password
from service.models import User
from service.schemas import Token, UserPublic

router = APIRouter(tags=["login"])


@router.post("/login/access-token", response_model=Token)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, settings: SettingsDep
) -> Token:
    user = session.scalar(select(User).where(User.username == form.username))
    ok = verify_password(form.password, user.hashed_password if user else None)
    if user is None or not ok or not user.is_active:
        audit.record(session, None, "login.failed", "user", "", username=form.username)
        session.commit()
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    allowed = ROLE_SCOPES[user.role]
    scopes = [s for s in form.scopes if s in allowed] if form.scopes else list(allowed)
    token = create_access_token(
        user_id=user.id,
        scopes=scopes,
        secret=settings.secret,
        algorithm=settings.jwt_algorithm,
        minutes=settings.access_token_minutes,
    )
    audit.record(session, user, "login", "user", user.id, scopes=scopes)
    session.commit()
    return Token(access_token=token, scopes=scopes)


@router.get("/users/me", response_model=UserPublic)
def me(user: CurrentUser) -> User:
    return user
