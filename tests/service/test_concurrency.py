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
        svc = Service(client=httpx.Client(base_url=live.url, timeout=120), settings=settings)
        svc.client.app = live.app  # Service.app reads the live app's state
        svc.world()
        files = sample_scans[:5]
        exhibits = [svc.case_with_exhibit("lab_submitter.north" if i % 2 else "lab_submitter.south", f"C-{i}")
                    for i in range(len(files) + 2)]
        jobs = [(f, exhibits[i][1], "lab_submitter.north" if i % 2 else "lab_submitter.south") for i, f in enumerate(files)]
        # The same file twice at the same moment, into two exhibits: exactly one wins.
        dup = sample_scans[5]
        jobs += [(dup, exhibits[-2][1], "lab_submitter.south"), (dup, exhibits[-1][1], "lab_submitter.south")]
        headers = {u: svc.as_(u) for u in ("lab_submitter.north", "lab_submitter.south")}
        results: list[tuple[str, int, dict]] = []
        barrier = threading.Barrier(len(jobs))

        def submit(path, exhibit, user):
            with httpx.Client(base_url=live.url, timeout=120) as c:
                data = path.read_bytes()
                barrier.wait()
                r = c.post(f"/api/exhibits/{exhibit}/scans", headers=headers[user], files={"file": (path.name, data)})
                results.append((path.name, r.status_code, r.json()))

        threads = [threading.Thread(target=submit, args=j) for j in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(code for _, code, _ in results)
        assert codes == [201] * len(files) + [201, 409], results
        accepted = [body for _, code, body in results if code == 201]
        for body in accepted:
            run = svc.wait_run(body["run"]["id"], "examiner.north" if body["scan"]["id"] else "")
            assert run["status"] == "done", run
        with live.app.state.session_factory() as s:
            shas = set(s.scalars(select(ScanRecord.sha256)))
            assert s.scalar(select(func.count()).select_from(ScanRecord)) == len(accepted)
            assert audit.verify(s).ok
        assert shas == {b["scan"]["sha256"] for b in accepted}
        store = live.app.state.engine.snapshot()
        assert set(store.catalog()) == shas
        svc.client.close()
