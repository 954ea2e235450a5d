"""Sign-in defences on both databases: lockout and its lifting, address throttling,
refresh tokens and their revocation, the password policy, security headers."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from service.models import AuditEntry, RefreshToken
from tests.service.conftest import start_service

LOGIN = "/api/login/access-token"


def _login(client, username, password, **kw):
    return client.post(LOGIN, data={"username": username, "password": password}, **kw)


def _audit(svc, *actions):
    with svc.app.state.session_factory() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.seq)).all()
        return [(r.action, json.loads(r.detail)) for r in rows]


def _small_world(svc):
    svc.bootstrap_admin()
    north = svc.ok(svc.get("/api/jurisdictions", "admin.north"))[0]["id"]
    return svc.add_user("examiner", "NORTH", north)


def test_an_account_locks_after_failures_and_an_admin_lifts_it(service):
    svc = service
    user = _small_world(svc)
    uid = svc.ok(svc.client.get("/api/users/me", headers=svc.as_(user)))["id"]
    limit = svc.settings.login_max_failures_per_account
    for _ in range(limit):
        assert _login(svc.client, user, "not-the-password-123").status_code == 401
    # Locked: even the right password is refused, without being checked.
    r = _login(svc.client, user, svc.passwords[user])
    assert r.status_code == 423 and "locked" in r.json()["detail"]
    # An unknown username locks the same way, so a lock tells nothing about existence.
    for _ in range(limit):
        assert _login(svc.client, "nobody.here", "whatever-password-1").status_code == 401
    assert _login(svc.client, "nobody.here", "whatever-password-1").status_code == 423

    failed = [d for a, d in _audit(svc, "login.failed") if d["username"] == user]
    assert [d["reason"] for d in failed] == ["credentials"] * limit + ["locked"]
    locked = [d for a, d in _audit(svc, "login.locked")]
    assert [d["username"] for d in locked] == [user, "nobody.here"]

    assert svc.patch(f"/api/users/{uid}", user, json={}).status_code == 403  # only admins unlock
    assert svc.post(f"/api/users/{uid}/unlock", user).status_code == 403
    svc.ok(svc.post(f"/api/users/{uid}/unlock", "admin.north"))
    assert _audit(svc, "user.unlock")[-1][1] == {"username": user, "was_locked": True}
    assert _login(svc.client, user, svc.passwords[user]).status_code == 200
    assert svc.post("/api/users/999999/unlock", "admin.north").status_code == 404


def test_an_address_is_throttled_whatever_username_it_tries(database_url, tmp_path):
    svc = start_service(database_url, tmp_path, login_max_failures_per_address=3)
    with svc.client:
        user = _small_world(svc)
        other = TestClient(svc.app, client=("203.0.113.9", 50000))
        for name in ("a.user", "b.user", "c.user"):
            assert _login(other, name, "wrong-password-123").status_code == 401
        r = _login(other, user, svc.passwords[user])
        assert r.status_code == 429 and int(r.headers["retry-after"]) == svc.settings.login_window_minutes * 60
        # Another address is not affected.
        assert _login(svc.client, user, svc.passwords[user]).status_code == 200
        throttled = _audit(svc, "login.throttled")
        assert len(throttled) == 1 and throttled[0][1]["username"] == user


def test_refresh_rotates_and_sign_out_password_change_and_deactivation_revoke(service):
    svc = service
    user = _small_world(svc)
    tok = svc.ok(_login(svc.client, user, svc.passwords[user]))
    assert tok["expires_in"] == svc.settings.access_token_minutes * 60 and tok["refresh_token"]
    bearer = lambda t: {"Authorization": f"Bearer {t['access_token']}"}  # noqa: E731
    assert svc.client.get("/api/users/me", headers=bearer(tok)).status_code == 200

    new = svc.ok(svc.client.post("/api/login/refresh", json={"refresh_token": tok["refresh_token"]}))
    assert new["refresh_token"] != tok["refresh_token"] and new["scopes"] == tok["scopes"]
    assert svc.client.get("/api/users/me", headers=bearer(new)).status_code == 200
    # The replaced refresh token coming back means a copy exists: the session ends.
    r = svc.client.post("/api/login/refresh", json={"refresh_token": tok["refresh_token"]})
    assert r.status_code == 401
    assert svc.client.get("/api/users/me", headers=bearer(new)).status_code == 401
    assert svc.client.post("/api/login/refresh", json={"refresh_token": new["refresh_token"]}).status_code == 401

    # Refresh tokens are stored only as SHA-256 digests.
    with svc.app.state.session_factory() as s:
        stored = {r.token_hash for r in s.scalars(select(RefreshToken))}
    assert tok["refresh_token"] not in stored and new["refresh_token"] not in stored

    # Sign-out ends this session at once, and only this one.
    a = svc.ok(_login(svc.client, user, svc.passwords[user]))
    b = svc.ok(_login(svc.client, user, svc.passwords[user]))
    assert svc.client.post("/api/logout", headers=bearer(a)).status_code == 204
    assert svc.client.get("/api/users/me", headers=bearer(a)).status_code == 401
    assert svc.client.post("/api/login/refresh", json={"refresh_token": a["refresh_token"]}).status_code == 401
    assert svc.client.get("/api/users/me", headers=bearer(b)).status_code == 200

    # A new password set by an administrator ends every session of the user.
    uid = svc.ok(svc.client.get("/api/users/me", headers=bearer(b)))["id"]
    svc.ok(svc.patch(f"/api/users/{uid}", "admin.north", json={"password": "a-brand-new-passphrase"}))
    assert svc.client.get("/api/users/me", headers=bearer(b)).status_code == 401
    assert svc.client.post("/api/login/refresh", json={"refresh_token": b["refresh_token"]}).status_code == 401
    c = svc.ok(_login(svc.client, user, "a-brand-new-passphrase"))
    svc.ok(svc.patch(f"/api/users/{uid}", "admin.north", json={"is_active": False}))
    assert svc.client.post("/api/login/refresh", json={"refresh_token": c["refresh_token"]}).status_code == 401
    assert [a for a, _ in _audit(svc, "logout", "session.revoke")] == ["session.revoke", "logout"]

    # Administrators cannot lock themselves out.
    admin_id = svc.ok(svc.get("/api/users/me", "admin.north"))["id"]
    r = svc.patch(f"/api/users/{admin_id}", "admin.north", json={"is_active": False})
    assert r.status_code == 409


def test_the_password_policy(service):
    svc = service
    svc.bootstrap_admin()
    north = svc.ok(svc.get("/api/jurisdictions", "admin.north"))[0]["id"]
    cases = {
        "short-pw": "at least 12",
        "Password1234!": "commonly used",
        "aaaaaaaaaaaaaaaa": "pattern repeated",
        "abcabcabcabcabc": "pattern repeated",
        "Examiner.Long.Name": "may not be the username",
    }
    for pw, reason in cases.items():
        r = svc.post("/api/users", "admin.north", json={
            "username": "examiner.long.name", "password": pw, "role": "examiner", "jurisdiction_id": north})
        assert r.status_code == 422 and reason in json.dumps(r.json()), (pw, r.text)
    ok = svc.ok(svc.post("/api/users", "admin.north", json={
        "username": "examiner.long.name", "password": "correct horse battery", "role": "examiner",
        "jurisdiction_id": north}), 201)
    r = svc.patch(f"/api/users/{ok['id']}", "admin.north", json={"password": "qwertyuiop123"})
    assert r.status_code == 422 and "commonly used" in r.text


def test_security_headers_on_every_response(service):
    svc = service
    svc.bootstrap_admin()
    for path, headers in (("/api/users/me", svc.as_("admin.north")), ("/api/cases/1", {}), ("/review/login", {}),
                          ("/health/live", {}), ("/openapi.json", {})):
        r = svc.client.get(path, headers=headers)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert "strict-transport-security" not in r.headers, path  # plain HTTP: no HSTS
    assert "script-src 'self';" in svc.client.get("/api/users/me").headers["content-security-policy"]
    assert "cdn.jsdelivr.net" in svc.client.get("/docs").headers["content-security-policy"]
    tls = TestClient(svc.app, base_url="https://testserver")
    assert tls.get("/health/live").headers["strict-transport-security"].startswith("max-age=31536000")


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _form_token(client: TestClient) -> str:
    found = CSRF_RE.search(client.get("/review/login").text)
    assert found, "the sign-in page carries no CSRF token"
    return found.group(1)


def test_web_forms_refuse_posts_without_their_csrf_token(service):
    """The review pages' forms (the browser's session is a cookie) take a post only with the
    token of the same session's form: none, a forged one or another session's is a 403,
    and nothing changes."""
    svc = service
    svc.world()
    user, password = "lab_submitter.north", svc.passwords["lab_submitter.north"]
    browser = TestClient(svc.app, follow_redirects=False)
    # Signing in through the form: not without its token.
    r = browser.post("/review/login", data={"username": user, "password": password})
    assert r.status_code == 403 and "bfp_session" not in browser.cookies
    r = browser.post("/review/login", data={"username": user, "password": password, "csrf_token": _form_token(browser)})
    assert r.status_code == 303 and "bfp_session" in browser.cookies, r.text
    other = TestClient(svc.app, follow_redirects=False)
    stolen = _form_token(other)
    for token in (None, "x" * 43 + ".deadbeef", stolen):
        data = {"reference": "N-CSRF", **({"csrf_token": token} if token else {})}
        r = browser.post("/review/cases", data=data)
        assert r.status_code == 403, (token, r.status_code, r.text[:300])
    # Another origin's post is refused even with the right token.
    r = browser.post("/review/cases", data={"reference": "N-CSRF", "csrf_token": _form_token(browser)},
                     headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert "N-CSRF" not in {c["reference"] for c in svc.ok(svc.get("/api/cases", user))}
    # With the session's own token the same form works.
    r = browser.post("/review/cases", data={"reference": "N-CSRF", "csrf_token": _form_token(browser)})
    assert r.status_code == 303, r.text[:300]
    assert "N-CSRF" in {c["reference"] for c in svc.ok(svc.get("/api/cases", user))}
