"""The serve and audit-verify commands refuse to run unsafely or on nothing."""

from __future__ import annotations

from typer.testing import CliRunner

from service.cli import app as cli


def test_serve_needs_a_secret_outside_demo_mode(monkeypatch):
    monkeypatch.delenv("BALLISTICS_JWT_SECRET", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "BALLISTICS_JWT_SECRET must be set" in result.output


def test_audit_verify_on_a_fresh_database(tmp_path):
    from service.core.db import make_engine
    from service.migrations.runner import upgrade_head

    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url)
    upgrade_head(engine)
    engine.dispose()
    result = CliRunner().invoke(cli, ["audit-verify", "--database-url", url])
    assert result.exit_code == 0 and "intact: 0 entries" in result.output


def test_ballistics_search_and_a_correlation_run_rank_alike(sqlite_service, sample_scans):
    """``ballistics search`` and the service's correlation runs go through the one search
    (ballistics_core.search.search): on the service's own store, the same query gives the same
    ranked list, scores and depth."""
    import json

    svc = sqlite_service
    svc.world()
    _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
    ups = [svc.ok(svc.upload("lab_submitter.north", exhibit, p), 201) for p in sample_scans[:5]]
    for up in ups:
        svc.wait_run(up["run"]["id"], "examiner.north")
    query = ups[0]["scan"]
    run = svc.ok(svc.post(f"/api/scans/{query['id']}/runs", "examiner.north", json={"scope": {"top_k": 3}}), 202)
    run = svc.wait_run(run["id"], "examiner.north")
    assert run["status"] == "done", run.get("reason")
    cands = svc.ok(svc.get(f"/api/runs/{run['id']}/candidates", "examiner.north"))

    r = CliRunner().invoke(cli, ["search", str(sample_scans[0]), "--store", str(svc.settings.store_dir),
                                 "--top", "3", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    signature_of_scan = {up["scan"]["id"]: up["scan"]["signature_id"] for up in ups}
    assert len(cands) == 3 and [h["sha256"] for h in out["hits"]] == [signature_of_scan[c["scan_id"]] for c in cands]
    assert [h["fused"] for h in out["hits"]] == [c["fused_score"] for c in cands]
    assert [h["log10_lr"] for h in out["hits"]] == [c["log10_lr"] for c in cands]
    assert {k: run["search_depth"][k] for k in out["depth"]} == out["depth"]
    assert run["search_depth"]["kind"] == out["kind"] == "topography"
