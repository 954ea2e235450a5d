"""User accounts (admins only)."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service import audit
from service.api.deps import Admin, SessionDep, SettingsDep
from service.api.types import DbId, errors
from service import reasons
from service.core.passwords import password_problem
from service.core.security import hash_password
from service.crud import signin
from service.models import Agency, Jurisdiction, User
from service.schemas import UserCreate, UserPublic, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserPublic])
def list_users(session: SessionDep, admin: Admin) -> list[User]:
    users = session.scalars(select(User).order_by(User.id)).all()
    audit.record(session, admin, "read", "users", "", count=len(users))
    session.commit()
    return list(users)


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED, responses=errors(409, 422))
def create_user(body: UserCreate, session: SessionDep, admin: Admin) -> User:
    if problem := password_problem(body.password, body.username):
        raise reasons.password_refused(problem)
    if session.get(Jurisdiction, body.jurisdiction_id) is None:
        raise reasons.unknown_jurisdiction()
    if body.agency_id is not None:
        agency = session.get(Agency, body.agency_id)
        if agency is None or agency.jurisdiction_id != body.jurisdiction_id:
            raise reasons.agency_outside_jurisdiction(False)
    user = User(
        username=body.username,
        full_name=body.full_name,
        hashed_password=hash_password(body.password),
        role=body.role,
        jurisdiction_id=body.jurisdiction_id,
        agency_id=body.agency_id,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise reasons.username_taken() from None
    audit.record(session, admin, "create", "user", user.id, username=user.username, role=user.role.value)
    session.commit()
    return user


@router.api_route("/me", methods=["PATCH", "POST", "PUT", "DELETE"], include_in_schema=False)
def me_is_read_only() -> None:
    # Without this, PATCH /users/me would reach /users/{user_id} and fail to parse "me".
    raise HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED, detail="Method Not Allowed")


@router.patch("/{user_id}", response_model=UserPublic, responses=errors(404, 409))
def update_user(user_id: DbId, body: UserUpdate, session: SessionDep, admin: Admin) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise reasons.not_found("user")
    changes = body.model_dump(exclude_unset=True)
    if user.id == admin.id and (changes.get("is_active") is False or changes.get("role", user.role) != user.role):
        # The last administrator could otherwise lock everyone out of user management.
        raise reasons.self_demotion()
    if "password" in changes:
        if problem := password_problem(changes["password"], user.username):
            raise reasons.password_refused(problem)
        user.hashed_password = hash_password(changes.pop("password"))
        changes["password"] = "changed"
    # A new password, a deactivation or a new role (whose scopes differ) ends every
    # session of the user at once: their access and refresh tokens stop working.
    revoke = "password" in changes or changes.get("is_active") is False or (
        "role" in changes and changes["role"] != user.role)
    for field in ("full_name", "role", "is_active"):
        if field in changes:
            setattr(user, field, changes[field])
    if revoke:
        changes["sessions_revoked"] = signin.revoke_all(session, user.id, "account changed by an administrator")
    audit.record(session, admin, "update", "user", user.id, **{k: str(v) for k, v in changes.items()})
    session.commit()
    return user


@router.post("/{user_id}/unlock", response_model=UserPublic, responses=errors(404))
def unlock_user(user_id: DbId, session: SessionDep, settings: SettingsDep, admin: Admin) -> User:
    """Lift a lockout: failed sign-ins so far no longer count against the account."""
    user = session.get(User, user_id)
    if user is None:
        raise reasons.not_found("user")
    was_locked = signin.is_locked(session, settings, user.username, user)
    user.failures_cleared_at = datetime.now(timezone.utc)
    audit.record(session, admin, "user.unlock", "user", user.id, username=user.username, was_locked=was_locked)
    session.commit()
    return user
