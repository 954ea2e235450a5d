"""The first admin of a fresh production database (there are no default accounts)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit
from service.core.passwords import password_problem
from service.core.security import hash_password
from service.models import Jurisdiction, Role, User


def create_admin(session: Session, *, username: str, password: str, jurisdiction_code: str, jurisdiction_name: str = "") -> User:
    """Create an admin (and their jurisdiction if it is new); commits."""
    if problem := password_problem(password, username):
        raise ValueError(str(problem))
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    jur = session.scalar(select(Jurisdiction).where(Jurisdiction.code == jurisdiction_code))
    if jur is None:
        jur = Jurisdiction(code=jurisdiction_code, name=jurisdiction_name or jurisdiction_code)
        session.add(jur)
        session.flush()
        audit.record(session, None, "create", "jurisdiction", jur.id, code=jur.code, via="bootstrap")
    user = User(username=username, full_name=username, hashed_password=hash_password(password), role=Role.admin, jurisdiction_id=jur.id)
    session.add(user)
    session.flush()
    audit.record(session, None, "create", "user", user.id, username=username, role="admin", via="bootstrap")
    session.commit()
    return user
