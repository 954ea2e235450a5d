"""Every JSON request body refuses a field it does not define: a 422 naming the field, on
SQLite and PostgreSQL, and nothing changes. A misspelt field (``titel``, ``stauts``) that
was silently dropped would look like a success while the change the caller meant never
happened."""

from __future__ import annotations

import re

UNKNOWN = "no_such_field"
# Tried in this order on each route until one is let past the permission check; between
# them they reach every operation (see test_fuzz.PG_ROLES).
ROLES = ("examiner.north", "analyst.north", "admin.north", "investigator.north", "partner.partner")


def _json_body_operations(app) -> list[tuple[str, str]]:
    doc = app.openapi()
    return [
        (method.upper(), path)
        for path, operations in doc["paths"].items()
        for method, op in operations.items()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    ]


def _names_unknown_field(r, field: str) -> bool:
    if r.status_code != 422:
        return False
    problems = r.json()["detail"]
    return any(p["loc"] == ["body", field] and p["type"] == "extra_forbidden" for p in problems)


def test_every_json_body_declares_and_refuses_unknown_fields(service):
    svc = service
    svc.world()
    case, exhibit = svc.case_with_exhibit("examiner.north", "N-BODIES")
    gun = svc.ok(svc.post(f"/api/cases/{case}/firearms", "examiner.north", json={"serial_number": "BD-1"}), 201)["id"]
    svc.ok(svc.post(f"/api/firearms/{gun}/traces", "examiner.north",
                    json={"target": "manufacturer", "deadline": "2024-01-01"}), 201)
    operations = _json_body_operations(svc.app)
    assert len(operations) > 35, operations
    # The document says so: schemathesis generates its schema-breaking bodies from it.
    doc = svc.app.openapi()
    for method, path in operations:
        ref = doc["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body_schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert body_schema.get("additionalProperties") is False, (method, path, ref)
    # And the service does: every route, with a caller it lets in, names the field.
    unrefused = []
    for method, path in operations:
        url = re.sub(r"\{[^}]+\}", "1", path)
        if path == "/api/login/refresh":  # no token: the refresh token is the body
            responses = [svc.client.request(method, url, json={UNKNOWN: 1})]
        else:
            responses = []
            for user in ROLES:
                r = svc.client.request(method, url, headers=svc.as_(user), json={UNKNOWN: 1})
                responses.append(r)
                if r.status_code not in (401, 403):
                    break
        if not _names_unknown_field(responses[-1], UNKNOWN):
            unrefused.append((method, path, responses[-1].status_code, responses[-1].text[:200]))
    assert unrefused == []


def _last_seq(svc) -> int:
    entries = svc.ok(svc.get("/api/audit?limit=5000", "admin.north"))
    return entries[-1]["seq"]


def test_a_misspelt_field_is_refused_and_changes_nothing(service):
    svc = service
    svc.world()
    ex = "examiner.north"
    case, _ = svc.case_with_exhibit(ex, "N-KEPT")
    svc.as_(ex), svc.as_("admin.north")
    seq = _last_seq(svc)
    r = svc.post("/api/cases", ex, json={"reference": "N-TYPO", "titel": "a misspelt title"})
    assert _names_unknown_field(r, "titel"), r.text
    r = svc.patch(f"/api/cases/{case}", ex, json={"title": "renamed", "stauts": "closed"})
    assert _names_unknown_field(r, "stauts"), r.text
    r = svc.post(f"/api/cases/{case}/firearms", ex, json={"serial_number": "TY-1", "serial": "TY-1"})
    assert _names_unknown_field(r, "serial"), r.text
    # Nothing was made or changed, and nothing but reads was written to the audit trail.
    written = [(e["action"], e["resource"]) for e in svc.ok(svc.get(f"/api/audit?after_seq={seq}", "admin.north"))]
    assert [w for w in written if not w[0].startswith("read")] == [], written
    assert "N-TYPO" not in {c["reference"] for c in svc.ok(svc.get("/api/cases", ex))}
    kept = svc.ok(svc.get(f"/api/cases/{case}", ex))
    assert (kept["title"], kept["status"]) == ("case N-KEPT", "open")
    assert svc.ok(svc.get("/api/firearms/search?serial=TY-1", ex))["matches"] == []
