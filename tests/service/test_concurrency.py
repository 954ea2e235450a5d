"""Concurrent submissions against a real server: every accepted upload is stored once."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import func, select

from service import audit
from service.models import ScanRecord
from tests.service.conftest import LiveServer, Service, make_settings


@pytest.mark.slow
def test_concurrent_submissions(database_url, tmp_path, sample_scans):
    settings = make_settings(database_url, tmp_path)
    with LiveServer(settings) as live:
        svc = Service(client=httpx.Client(base_url=live.url, timeout=120), settings=settings, live_app=live.app)
        svc.world()
        files = sample_scans[:5]
        # The same file twice at the same moment, into two exhibits: exactly one wins.
        files += [sample_scans[5], sample_scans[5]]
        owners = ["lab_submitter.north" if i % 2 else "lab_submitter.south" for i in range(len(files))]
        jobs = [(f, svc.case_with_exhibit(owner, f"C-{i}")[1], owner) for i, (f, owner) in enumerate(zip(files, owners))]
        headers = {u: svc.as_(u) for u in ("lab_submitter.north", "lab_submitter.south")}
        results: list[tuple[str, int, dict]] = []
        uploader: dict[int, str] = {}
        barrier = threading.Barrier(len(jobs))

        def submit(path, exhibit, user):
            with httpx.Client(base_url=live.url, timeout=120) as c:
                data = path.read_bytes()
                barrier.wait()
                r = c.post(f"/api/exhibits/{exhibit}/scans", headers=headers[user], files={"file": (path.name, data)})
                results.append((path.name, r.status_code, r.json()))
                if r.status_code == 201:
                    uploader[r.json()["run"]["id"]] = user

        threads = [threading.Thread(target=submit, args=j) for j in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(code for _, code, _ in results)
        assert codes == [201] * (len(files) - 1) + [409], results
        accepted = [body for _, code, body in results if code == 201]
        for body in accepted:
            run = svc.wait_run(body["run"]["id"], uploader[body["run"]["id"]])
            assert run["status"] == "done", run
        with live.app.state.session_factory() as s:
            shas = set(s.scalars(select(ScanRecord.sha256)))
            assert s.scalar(select(func.count()).select_from(ScanRecord)) == len(accepted)
            assert audit.verify(s).ok
        assert shas == {b["scan"]["sha256"] for b in accepted}
        store = live.app.state.engine.snapshot()
        assert set(store.catalog()) == shas
        svc.client.close()
