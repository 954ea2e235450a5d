"""Sign-in, tokens and scopes; every /api route refuses anonymous callers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from service.core.config import Settings
from service.models import User


def _api_operations(app):
    for path, ops in app.openapi()["paths"].items():
        # Signing in and refreshing are how a caller gets credentials; everything else wants them.
        if path.startswith("/api/") and path not in ("/api/login/access-token", "/api/login/refresh"):
            for method in ops:
                yield method.upper(), re.sub(r"\{[^}]+\}", "1", path)


def test_every_api_route_refuses_anonymous_callers(sqlite_service):
    ops = list(_api_operations(sqlite_service.app))
    assert len(ops) >= 35
    for method, path in ops:
        r = sqlite_service.client.request(method, path)
        assert r.status_code == 401, f"{method} {path} answered {r.status_code} without credentials"
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_forged_expired_and_garbage_tokens_are_401(sqlite_service):
    svc = sqlite_service
    svc.bootstrap_admin()
    good = svc.as_("admin.north")["Authorization"].split()[1]
    claims = jwt.decode(good, options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-secret", algorithm="HS256")
    expired = jwt.encode(
        {**claims, "exp": datetime.now(timezone.utc) - timedelta(minutes=1)}, svc.settings.secret, algorithm="HS256"
    )
    for token in (forged, expired, "garbage", good[:-3] + "abc"):
        r = svc.client.get("/api/users", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
    assert svc.client.get("/api/users", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_login_failures_and_deactivated_users(sqlite_service):
    svc = sqlite_service
    svc.bootstrap_admin()
    north = svc.ok(svc.get("/api/jurisdictions", "admin.north"))[0]["id"]
    user = svc.add_user("examiner", "NORTH", north)
    for name, pw in ((user, "wrong-password-123"), ("nobody", "whatever-password")):
        r = svc.client.post("/api/login/access-token", data={"username": name, "password": pw})
        assert r.status_code == 401 and r.json()["detail"] == "incorrect username or password"
    token = svc.as_(user)
    uid = svc.ok(svc.client.get("/api/users/me", headers=token))["id"]
    svc.ok(svc.patch(f"/api/users/{uid}", "admin.north", json={"is_active": False}))
    assert svc.client.get("/api/users/me", headers=token).status_code == 401
    r = svc.client.post("/api/login/access-token", data={"username": user, "password": svc.passwords[user]})
    assert r.status_code == 401


def test_scopes_follow_the_role_and_can_only_shrink(sqlite_service):
    svc = sqlite_service
    svc.bootstrap_admin()
    north = svc.ok(svc.get("/api/jurisdictions", "admin.north"))[0]["id"]
    user = svc.add_user("investigator", "NORTH", north)
    full = svc.client.post("/api/login/access-token", data={"username": user, "password": svc.passwords[user]}).json()
    assert "cases:read" in full["scopes"] and "cases:write" not in full["scopes"]
    asked = svc.client.post(
        "/api/login/access-token",
        data={"username": user, "password": svc.passwords[user], "scope": "hits:read cases:write admin"},
    ).json()
    assert asked["scopes"] == ["hits:read"]  # scopes the role lacks are never granted
    h = {"Authorization": f"Bearer {asked['access_token']}"}
    r = svc.client.get("/api/cases", headers=h)
    assert r.status_code == 403 and "cases:read" in r.json()["detail"]
    assert svc.client.get("/api/hits", headers=h).status_code == 200


def test_passwords_are_argon2_hashes(sqlite_service):
    svc = sqlite_service
    svc.bootstrap_admin()
    with svc.app.state.session_factory() as s:
        user = s.scalar(select(User).where(User.username == "admin.north"))
        assert user.hashed_password.startswith("$argon2id$")
        assert svc.passwords["admin.north"] not in user.hashed_password


def test_no_secret_and_no_users_outside_demo(sqlite_service, monkeypatch, tmp_path):
    monkeypatch.delenv("BALLISTICS_JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="BALLISTICS_JWT_SECRET"):
        Settings(demo=False)
    assert Settings(demo=True).secret  # demo mode makes a throwaway secret
    # A production database starts with no accounts at all: nobody can sign in.
    with sqlite_service.app.state.session_factory() as s:
        assert s.scalars(select(User)).all() == []
    for name in ("admin", "admin.north", "examiner.north"):
        for pw in ("admin", "password", f"demo-{name}"):
            r = sqlite_service.client.post("/api/login/access-token", data={"username": name, "password": pw})
            assert r.status_code == 401


def test_openapi_docs_are_served(sqlite_service):
    assert sqlite_service.client.get("/docs").status_code == 200
    spec = sqlite_service.client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/api/login/access-token"
