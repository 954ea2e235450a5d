"""``ballistics admin create``: the first administrator of a fresh database, then a login."""

from __future__ import annotations

import os
import subprocess
import sys

from fastapi.testclient import TestClient

from service.main import create_app
from tests.service.conftest import make_settings

BIN = os.path.join(os.path.dirname(sys.executable), "ballistics")


def _run(*args, password: str | None = "correct-horse-battery-staple"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BALLISTICS_")}
    if password is not None:
        env["BALLISTICS_ADMIN_PASSWORD"] = password
    return subprocess.run([BIN, "admin", "create", *args], capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_the_first_admin_is_created_once_and_can_sign_in(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh' / 'ballistics.db'}"
    ok = _run("--username", "chief.admin", "--jurisdiction", "MK", "--jurisdiction-name", "North Macedonia",
              "--database-url", url)
    assert ok.returncode == 0, ok.stderr
    assert "created administrator chief.admin" in ok.stdout
    again = _run("--username", "chief.admin", "--jurisdiction", "MK", "--database-url", url)
    assert again.returncode == 2 and again.stderr.strip() == "error: user 'chief.admin' already exists"
    short = _run("--username", "other.admin", "--jurisdiction", "MK", "--database-url", url, password="short")
    assert short.returncode == 2 and short.stderr.startswith("error: password:") and "Traceback" not in short.stderr
    bad_code = _run("--username", "other.admin", "--jurisdiction", "M K", "--database-url", url)
    assert bad_code.returncode == 2 and bad_code.stderr.startswith("error: code:")

    with TestClient(create_app(make_settings(url, tmp_path))) as client:
        r = client.post("/api/login/access-token",
                        data={"username": "chief.admin", "password": "correct-horse-battery-staple"})
        assert r.status_code == 200 and "admin" in r.json()["scopes"]
        token = {"Authorization": f"Bearer {r.json()['access_token']}"}
        jurs = client.get("/api/jurisdictions", headers=token).json()
        assert [(j["code"], j["name"]) for j in jurs] == [("MK", "North Macedonia")]
        verify = client.get("/api/audit/verify", headers=token).json()
        assert verify["ok"] and verify["entries"] >= 3  # jurisdiction, user (bootstrap) and the login
