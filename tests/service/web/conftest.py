"""A running service with the review pages and one finished correlation run.

NORTH's exhibit (Fadul 1-1) is searched against SOUTH's 1-2 (same slide, another
jurisdiction: opaque reference), SOUTH's 2-1 and NORTH's own 3-1 (different slides).
Built once per test session (per xdist worker) on a real uvicorn server, SQLite
database and signature store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest

from tests.service.conftest import SAMPLE, LiveServer, Service, make_settings


@dataclass
class ReviewWorld:
    svc: Service
    live: LiveServer
    run_id: int
    candidates: list[dict]

    @property
    def url(self) -> str:
        return self.live.url

    def candidate(self, rank: int) -> dict:
        return next(c for c in self.candidates if c["rank"] == rank)


@pytest.fixture(scope="session")
def review_world(tmp_path_factory):
    scans = {name: SAMPLE / f"{name}.x3p" for name in ("Fadul 1-1", "Fadul 1-2", "Fadul 2-1", "Fadul 3-1")}
    missing = [p.name for p in scans.values() if not p.is_file()]
    if missing:
        pytest.skip(f"sample scans missing: {missing}")
    root = tmp_path_factory.mktemp("review")
    settings = make_settings(f"sqlite:///{root / 'ballistics.db'}", root)
    live = LiveServer(settings)
    with live:
        client = httpx.Client(base_url=live.url, timeout=120)
        svc = Service(client=client, settings=settings, live_app=live.app)
        svc.world()
        for user, ref, name in (
            ("lab_submitter.south", "S-1", "Fadul 1-2"),
            ("lab_submitter.south", "S-2", "Fadul 2-1"),
            ("lab_submitter.north", "N-2", "Fadul 3-1"),
        ):
            _, exhibit = svc.case_with_exhibit(user, ref)
            up = svc.ok(svc.upload(user, exhibit, scans[name]), 201)
            svc.wait_run(up["run"]["id"], user)
        _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
        up = svc.ok(svc.upload("lab_submitter.north", exhibit, scans["Fadul 1-1"]), 201)
        run = svc.wait_run(up["run"]["id"], "examiner.north")
        assert run["status"] == "done", run
        cands = svc.ok(svc.get(f"/api/runs/{run['id']}/candidates", "examiner.north"))
        assert len(cands) == 3, cands
        yield ReviewWorld(svc=svc, live=live, run_id=run["id"], candidates=cands)
        client.close()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class PageClient(httpx.Client):
    """A browser-like client: cookies kept, redirects not followed, and form posts carry
    the CSRF token a page gives (``csrf=False`` posts without one)."""

    def csrf(self) -> str:
        page = self.get("/review/login")
        found = CSRF_RE.search(page.text)
        assert found, page.text[:500]
        return found.group(1)

    def post(self, url, *, data=None, csrf: bool = True, **kw):
        if csrf:
            data = dict(data or {}, csrf_token=self.csrf())
        return super().post(url, data=data, **kw)


def page_client(world: ReviewWorld, username: str | None = None, **headers) -> PageClient:
    """Signed in through the form when ``username`` is given."""
    c = PageClient(base_url=world.url, timeout=120, follow_redirects=False, headers=headers)
    if username:
        r = c.post("/review/login", data={"username": username, "password": world.svc.passwords[username],
                                          "next": "/review/runs"})
        assert r.status_code == 303, r.text
    return c
