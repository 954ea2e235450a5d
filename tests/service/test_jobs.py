"""Correlation runs in the background: failures end in "failed" with a reason; restarts recover."""

from __future__ import annotations

from sqlalchemy import text

from tests.service.conftest import start_service


def test_a_run_that_fails_records_failed_and_a_reason(service, sample_scans):
    svc = service
    svc.world()
    _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
    up = svc.ok(svc.upload("lab_submitter.north", exhibit, sample_scans[0]), 201)
    assert svc.wait_run(up["run"]["id"], "examiner.north")["status"] == "done"
    # The signature is withdrawn from the store (e.g. a court order); a new run cannot load it.
    svc.app.state.engine.tombstone(up["scan"]["signature_id"], reason="test: withdrawn")
    r = svc.post(f"/api/scans/{up['scan']['id']}/runs", "examiner.north", json={"scope": {"top_k": 3}})
    assert r.status_code == 202 and r.json()["scope"] == {"top_k": 3, "exclude_same_case": False}
    run = svc.wait_run(r.json()["id"], "examiner.north")
    assert run["status"] == "failed"
    assert run["reason"].startswith("StoreError: ") and "\n" not in run["reason"]
    assert run["finished_at"] is not None
    # The service carries on: other requests and the audit chain are unaffected.
    assert svc.ok(svc.get("/api/audit/verify", "auditor.north"))["ok"] is True


def test_restart_resumes_queued_runs_and_retries_interrupted_ones(database_url, tmp_path, sample_scans):
    svc = start_service(database_url, tmp_path)
    with svc.client:
        svc.world()
        _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
        up = svc.ok(svc.upload("lab_submitter.north", exhibit, sample_scans[0]), 201)
        svc.wait_run(up["run"]["id"], "examiner.north")
        with svc.app.state.session_factory() as s:
            # What a crash leaves: one run mid-way, one never started.
            s.execute(text(
                "INSERT INTO correlation_run (scan_id, requested_by_id, scope, status, progress, reason, "
                "algorithm_version, params_digest, n_searched, created_at) VALUES "
                "(:s, 1, '{}', 'running', 0.5, '', '', '', 0, CURRENT_TIMESTAMP), "
                "(:s, 1, '{}', 'queued', 0.0, '', '', '', 0, CURRENT_TIMESTAMP)"
            ), {"s": up["scan"]["id"]})
            s.commit()
            ids = [r for (r,) in s.execute(text("SELECT id FROM correlation_run ORDER BY id"))][-2:]
    again = start_service(database_url, tmp_path, jwt_secret=svc.settings.jwt_secret.get_secret_value())
    again.passwords = svc.passwords
    with again.client:
        # A run left "running" without a live lease lost its worker: it is claimed and run again.
        interrupted = again.wait_run(ids[0], "examiner.north")
        assert interrupted["status"] == "done" and interrupted["progress"] == 1.0
        with again.app.state.session_factory() as s:
            attempts = dict(s.execute(text("SELECT id, attempts FROM correlation_run")).all())
            retried = s.execute(text(
                "SELECT resource_id FROM audit_log WHERE action = 'run.retry'")).scalars().all()
        assert attempts[ids[0]] == 1 and attempts[ids[1]] == 1 and retried == [str(ids[0])]
        resumed = again.wait_run(ids[1], "examiner.north")
        assert resumed["status"] == "done" and resumed["progress"] == 1.0


def test_a_2d_image_run_in_a_store_of_3d_scans_compares_it_with_2d_images_only(sqlite_service, sample_scans,
                                                                                shared_data):
    """The run of a 2-D ring-light image used to fail (its search put 3-D scans in front of the
    full comparison); now it compares images with images and its record says what it left out."""
    svc = sqlite_service
    svc.world()
    _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
    for scan in sample_scans[:2]:
        up = svc.ok(svc.upload("lab_submitter.north", exhibit, scan), 201)
        assert svc.wait_run(up["run"]["id"], "examiner.north")["status"] == "done"
    runs = []
    for name in ("NBIDE R BF 118.png", "NBIDE R BF 129.png"):
        up = svc.ok(svc.upload("lab_submitter.north", exhibit, shared_data / "nbide_2d" / name), 201)
        runs.append(svc.wait_run(up["run"]["id"], "examiner.north"))
    assert [r["status"] for r in runs] == ["done", "done"], [r.get("reason") for r in runs]
    first, second = (r["search_depth"] for r in runs)
    assert first["kind"] == second["kind"] == "intensity"
    assert first["other_kind_not_searched"] == second["other_kind_not_searched"] == 2
    assert first["screened"] == 1 and second["screened"] == 2 and second["compared"] == 1
    cands = svc.ok(svc.get(f"/api/runs/{runs[1]['id']}/candidates", "examiner.north"))
    assert len(cands) == 1 and cands[0]["fused_score"] is not None
