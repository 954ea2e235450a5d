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

from tests.conftest import missing
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
    absent = [p.name for p in scans.values() if not p.is_file()]
    if absent:
        missing(f"sample scans missing: {absent}")
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


@dataclass
class HitWorld:
    """A confirmed cross-border hit (NORTH's N-1 and SOUTH's S-1: the same Fadul slide),
    and a partner's two queries, one matching SOUTH's S-3 and one (slide 3) matching nothing."""

    svc: Service
    live: LiveServer
    hit_id: int
    lead_id: int
    candidate_id: int
    partner_runs: dict[str, int]

    @property
    def url(self) -> str:
        return self.live.url


@pytest.fixture(scope="module")
def hit_world(tmp_path_factory):
    names = ("Fadul 1-1", "Fadul 1-2", "Fadul 2-1", "Fadul 2-2", "Fadul 3-1")
    scans = {name: SAMPLE / f"{name}.x3p" for name in names}
    if not all(p.is_file() for p in scans.values()):
        missing("sample scans missing")
    root = tmp_path_factory.mktemp("hits")
    live = LiveServer(make_settings(f"sqlite:///{root / 'ballistics.db'}", root))
    with live:
        client = httpx.Client(base_url=live.url, timeout=120)
        svc = Service(client=client, settings=live.settings, live_app=live.app)
        svc.world()
        for user, ref, name in (("lab_submitter.south", "S-1", "Fadul 1-2"), ("lab_submitter.south", "S-3", "Fadul 2-1")):
            _, exhibit = svc.case_with_exhibit(user, ref)
            svc.wait_run(svc.ok(svc.upload(user, exhibit, scans[name]), 201)["run"]["id"], user)
        _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
        run = svc.wait_run(svc.ok(svc.upload("lab_submitter.north", exhibit, scans["Fadul 1-1"]), 201)["run"]["id"],
                           "examiner.north")
        top = svc.ok(svc.get(f"/api/runs/{run['id']}/candidates", "examiner.north"))[0]
        assert top["match"]["jurisdiction"] == "SOUTH", top
        lead = svc.ok(svc.post("/api/leads", "analyst.north", json={"candidate_id": top["id"]}), 201)
        svc.ok(svc.post(f"/api/leads/{lead['id']}/transition", "analyst.north", json={"to": "issued"}))
        review = svc.ok(svc.post(f"/api/candidates/{top['id']}/reviews", "examiner.north",
                                 json={"decision": "identification", "notes": "same slide"}), 201)
        done = svc.ok(svc.post(f"/api/leads/{lead['id']}/transition", "analyst.north",
                               json={"to": "confirmed", "review_id": review["id"]}))
        assert done["hit_id"], done
        partner_runs = {}
        for ref, name in (("P-1", "Fadul 2-2"), ("P-2", "Fadul 3-1")):
            _, exhibit = svc.case_with_exhibit("lab_submitter.partner", ref)
            up = svc.ok(svc.upload("lab_submitter.partner", exhibit, scans[name]), 201)
            partner_runs[ref] = svc.wait_run(up["run"]["id"], "lab_submitter.partner")["id"]
        yield HitWorld(svc=svc, live=live, hit_id=done["hit_id"], lead_id=lead["id"], candidate_id=top["id"],
                       partner_runs=partner_runs)
        client.close()
