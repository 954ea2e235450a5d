"""Demo mode: seeded jurisdictions, printed logins and the sample scans as exhibits."""

from __future__ import annotations

from tests.service.conftest import Service, make_settings


def test_demo_seeds_logins_and_sample_cases(tmp_path, sample_scans, capsys):
    from fastapi.testclient import TestClient

    from service.main import create_app

    settings = make_settings(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path, demo=True, jwt_secret=None, job_workers=1)
    svc = Service(client=TestClient(create_app(settings)), settings=settings)
    with svc.client:
        printed = capsys.readouterr().out
        assert "examiner.north" in printed and "demo-examiner.north" in printed and "/docs" in printed
        for username, password, _ in svc.app.state.demo_logins:
            svc.passwords[username] = password
        cases = svc.ok(svc.get("/api/cases", "examiner.north"))
        south = svc.ok(svc.get("/api/cases", "examiner.south"))
        assert {c["reference"].split("-")[0] for c in cases} == {"NORTH"}
        assert len(cases) + len(south) == len(sample_scans)
        scans = [
            s for c in cases
            for e in svc.ok(svc.get(f"/api/cases/{c['id']}/exhibits", "examiner.north"))
            for s in svc.ok(svc.get(f"/api/exhibits/{e['id']}/scans", "examiner.north"))
        ]
        assert len(scans) == len(cases) and all(s["signature_id"] for s in scans)
        # The first NORTH case is a seized pistol: its test fire, a stolen-register alert,
        # an overdue trace, and its seller (for those with a need to know).
        (gun,) = svc.ok(svc.get(f"/api/cases/{cases[0]['id']}/firearms", "examiner.north"))
        assert [e["kind"] for e in svc.ok(svc.get(f"/api/firearms/{gun['id']}/exhibits", "examiner.north"))] == ["test_fire"]
        assert [a["firearm_id"] for a in svc.ok(svc.get("/api/alerts", "investigator.north"))] == [gun["id"]]
        assert len(svc.ok(svc.get("/api/traces/overdue", "investigator.north"))) == 1
        assert svc.ok(svc.get(f"/api/firearms/{gun['id']}/people", "investigator.north"))[0]["name"] == "Demo Seller"
        # The made-up jurisdictions are drawn on the events map as the areas the demo gives them;
        # the foreign partner is outside the region's map.
        regions = {j["code"]: j["map_region"] for j in svc.ok(svc.get("/api/jurisdictions", "analyst.north"))}
        assert regions == {"NORTH": "RS", "SOUTH": "MK", "PARTNER": None}
        import re

        page = svc.client.get("/review/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        r = svc.client.post("/review/login", data={"username": "analyst.north", "csrf_token": token,
                                                   "password": svc.passwords["analyst.north"]})
        assert r.status_code == 200, r.text
        page = svc.client.get("/review/intel/map").text
        assert f'data-country="RS" data-events="{len(cases)}"' in page
        assert f'data-country="MK" data-events="{len(south)}"' in page


def test_a_demo_left_by_an_older_version_is_set_aside(tmp_path, monkeypatch):
    import json

    from service.cli.serve import _retire_stale_demo

    monkeypatch.chdir(tmp_path)
    old = tmp_path / "var" / "demo"
    (old / "store").mkdir(parents=True)
    (old / "store" / "manifest.json").write_text(json.dumps({"schema_version": 1}))
    (old / "ballistics.db").write_bytes(b"old")
    _retire_stale_demo()
    assert not old.exists()
    (aside,) = (tmp_path / "var").glob("demo.stale-*")
    assert (aside / "ballistics.db").read_bytes() == b"old"  # set aside, never deleted
    _retire_stale_demo()  # nothing left to retire: a no-op
