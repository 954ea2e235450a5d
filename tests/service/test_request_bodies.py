"""Malformed requests get a 422 naming what is wrong, on SQLite and PostgreSQL, and change
nothing: every JSON request body refuses a field it does not define (a misspelt field,
``titel`` or ``stauts``, silently dropped would look like a success while the change the
caller meant never happened), and the requests the first fuzzing of the API turned into
server errors (identifiers beyond 64 bits, nulls in updates) are pinned down here so that
no seed of test_fuzz.py can let them back in."""

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
    for user in (ex, "admin.north"):  # signing in is audited: do it before counting
        svc.as_(user)
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


def _let_in(svc, method: str, url: str, **kw):
    """The response to the first of ``ROLES`` that is let past the permission check."""
    for user in ROLES:
        r = svc.client.request(method, url, headers=svc.as_(user), **kw)
        if r.status_code not in (401, 403):
            return r
    return r


def _names(r, *fields: str) -> bool:
    if r.status_code != 422:
        return False
    detail = r.json()["detail"]
    if isinstance(detail, str):
        return all(f in detail for f in fields)
    named = {str(p["loc"][-1]) for p in detail} | {f for p in detail for f in fields if f in p["msg"]}
    return set(fields) <= named


# Routes whose identifier is matched by Starlette's ``:int`` convertor (digits only), so
# that a fixed path beside them (/firearms/search, /people/retention-run, /traces/overdue)
# is never taken for an identifier: "-1" there is no route at all, a 404.
DIGITS_ONLY = {("GET", "/api/firearms/{firearm_id}"), ("PATCH", "/api/firearms/{firearm_id}"),
               ("GET", "/api/people/{person_id}"), ("PATCH", "/api/traces/{trace_id}")}


def test_identifiers_and_numbers_out_of_range_and_nulls_in_updates_are_422s(service):
    svc = service
    svc.world()
    case, _ = svc.case_with_exhibit("examiner.north", "N-RANGE")
    doc = svc.app.openapi()
    unrefused, tried = [], set()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            ids = [p["name"] for p in op.get("parameters", []) if p["in"] == "path" and p["schema"].get("type") == "integer"]
            for name in ids:
                tried.add((method, path, name))
                for value in (2**31, 194817039018132183711744, -1, 0):
                    url = re.sub(r"\{[^}]+\}", lambda m: str(value) if m.group(0) == "{%s}" % name else "1", path)
                    body = {"json": {}} if "requestBody" in op and "application/json" in op["requestBody"]["content"] else {}
                    r = _let_in(svc, method.upper(), url, **body)
                    if value < 0 and (method.upper(), path) in DIGITS_ONLY:
                        refused = r.status_code == 404
                    else:
                        refused = r.status_code == 422 and any(p["loc"] == ["path", name] for p in r.json()["detail"])
                    if not refused:
                        unrefused.append((method.upper(), url, r.status_code, r.text[:160]))
    assert len(tried) >= 64 and unrefused == []
    # The requests of the first fuzzing report, exactly.
    for method, url, body, fields in [
        ("GET", "/api/audit?after_seq=-4565994475407394304096731136", None, ["after_seq"]),
        ("GET", f"/api/audit?limit={2**63}", None, ["limit"]),
        ("PATCH", f"/api/cases/{case}", {"title": None, "status": None}, ["title", "status"]),
        ("POST", "/api/cases", {"reference": "N-AGENCY", "agency_id": 2**31}, ["agency_id"]),
        ("POST", "/api/cases", {"reference": "N-AGENCY", "agency_id": 194817039018132183711744}, ["agency_id"]),
    ]:
        user = "admin.north" if url.startswith("/api/audit") else "examiner.north"
        r = svc.client.request(method, url, headers=svc.as_(user), **({"json": body} if body is not None else {}))
        assert _names(r, *fields), (method, url, r.status_code, r.text)
    users = {u["username"]: u["id"] for u in svc.ok(svc.get("/api/users", "admin.north"))}
    target = users["investigator.north"]
    r = svc.patch(f"/api/users/{target}", "admin.north", json={"role": None, "is_active": None, "password": None})
    assert _names(r, "role", "is_active", "password"), r.text
    # None of it changed anything.
    assert svc.ok(svc.get(f"/api/cases/{case}", "examiner.north"))["title"] == "case N-RANGE"
    assert "N-AGENCY" not in {c["reference"] for c in svc.ok(svc.get("/api/cases", "examiner.north"))}
    me = svc.client.get("/api/users/me", headers=svc.as_("investigator.north"))
    assert me.status_code == 200 and me.json()["role"] == "investigator" and me.json()["is_active"] is True
