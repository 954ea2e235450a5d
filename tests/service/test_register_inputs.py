"""The firearm register's routes refuse malformed requests with a 4xx naming the field,
on SQLite and PostgreSQL: what the fuzzer (test_fuzz.py) first found in them, pinned
down so that no seed can let it back in."""

from __future__ import annotations

import pytest

TOO_BIG = 2**31  # one past the key columns' range


@pytest.fixture
def register(service):
    svc = service
    svc.world()
    case, exhibit = svc.case_with_exhibit("examiner.north", "N-INPUTS")
    gun = svc.ok(svc.post(f"/api/cases/{case}/firearms", "examiner.north", json={"serial_number": "IN-1"}), 201)["id"]
    trace = svc.ok(svc.post(f"/api/firearms/{gun}/traces", "examiner.north",
                            json={"target": "manufacturer", "deadline": "2024-01-01"}), 201)["id"]
    return svc, case, exhibit, gun, trace


def _refused(r, field: str, code: int = 422) -> None:
    assert r.status_code == code, (r.status_code, r.text)
    assert field in r.text, r.text


def test_malformed_register_requests_are_refused_by_name(register):
    svc, case, exhibit, gun, trace = register
    ex, an = "examiner.north", "analyst.north"
    # A null in a trace update is refused (it was a NOT NULL violation: a 500); only the deadline may be cleared.
    _refused(svc.patch(f"/api/traces/{trace}", ex, json={"status": None}), "status")
    _refused(svc.patch(f"/api/traces/{trace}", ex, json={"answer": None}), "answer")
    _refused(svc.patch(f"/api/traces/{trace}", ex, json={"bogus": 1}), "bogus")
    assert svc.ok(svc.patch(f"/api/traces/{trace}", ex, json={"deadline": None}))["deadline"] is None
    # Dates and times are ISO strings, never numbers; identifiers JSON integers within the key range.
    for path, user, body, field in [
        (f"/api/cases/{case}/people", an, {"name": "A", "role": "owner", "retain_until": 0}, "retain_until"),
        (f"/api/cases/{case}/people", an, {"name": "A", "role": "owner", "date_of_birth": 19800203}, "date_of_birth"),
        (f"/api/cases/{case}/people", an, {"name": "A", "role": "owner", "firearm_id": str(gun)}, "firearm_id"),
        (f"/api/cases/{case}/people", an, {"name": "A", "role": "owner", "firearm_id": TOO_BIG}, "firearm_id"),
        ("/api/people/retention-run", "admin.north", {"as_of": 0}, "as_of"),
        (f"/api/firearms/{gun}/events", ex, {"status": "examined", "at": 1700000000}, "at"),
        (f"/api/firearms/{gun}/traces", ex, {"target": "manufacturer", "deadline": 0}, "deadline"),
        (f"/api/firearms/{gun}/traces", ex, {"target": "partner_jurisdiction", "partner_jurisdiction_id": TOO_BIG},
         "partner_jurisdiction_id"),
        (f"/api/cases/{case}/exhibits", ex, {"kind": "test_fire", "lab_number": "T-1", "firearm_id": TOO_BIG}, "firearm_id"),
        (f"/api/cases/{case}/exhibits", ex, {"kind": "test_fire", "lab_number": "T-1", "urgent": 1}, "urgent"),
        # PostgreSQL text holds no NUL: refused by name, not a driver error.
        (f"/api/cases/{case}/firearms", ex, {"make": "Glo\x00ck"}, "NUL"),
    ]:
        _refused(svc.post(path, user, json=body), field)
    # An empty document or photo is a request refused for its content.
    _refused(svc.post(f"/api/traces/{trace}/documents", ex, files={"file": ("a.pdf", b"")}), "empty")
    # A fixed path beside an identifier's: a method it lacks is a 405, not an identifier that fails to parse.
    for method, path, user in [("PATCH", "/api/firearms/search", ex), ("PATCH", "/api/traces/overdue", ex),
                               ("GET", "/api/people/retention-run", an), ("PATCH", "/api/users/me", "admin.north")]:
        r = svc.client.request(method, path, headers=svc.as_(user), json={})
        assert r.status_code == 405, (method, path, r.status_code, r.text)
    # Nothing of the above reached the records.
    assert [t["deadline"] for t in svc.ok(svc.get(f"/api/firearms/{gun}/traces", ex))] == [None]
    assert svc.ok(svc.get(f"/api/cases/{case}/people", an)) == []
    assert [f["make"] for f in svc.ok(svc.get(f"/api/cases/{case}/firearms", ex))] == [""]


def test_the_intel_products_declare_their_media_types(tmp_path):
    from service.main import create_app
    from tests.service.conftest import make_settings

    doc = create_app(make_settings(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path)).openapi()["paths"]
    by_type = doc["/api/intel/firearms-by-type"]["get"]["responses"]["200"]["content"]
    routes = doc["/api/intel/trafficking-routes"]["get"]["responses"]["200"]["content"]
    assert set(by_type) == {"application/json", "text/csv"}
    assert set(routes) == {"application/json", "text/csv", "image/png"}
    assert by_type["application/json"]["schema"]["type"] == "array"
