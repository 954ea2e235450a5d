"""Firearm intelligence: guns by type, origin and conversion over time and per
jurisdiction; trafficking routes (table and flow chart)."""

from __future__ import annotations

from datetime import date


def test_firearms_by_type_and_trafficking_routes(service, tmp_path):
    from typer.testing import CliRunner

    from service.cli import app as cli

    svc = service
    svc.world()
    n = svc.ok(svc.post("/api/cases", "examiner.north", json={"reference": "N-I"}), 201)["id"]
    s = svc.ok(svc.post("/api/cases", "examiner.south", json={"reference": "S-I"}), 201)["id"]
    for case, user, body in (
        (n, "examiner.north", {"kind": "converted_alarm", "country_of_manufacture": "TR"}),
        (n, "examiner.north", {"kind": "converted_alarm", "country_of_manufacture": "tr"}),
        (n, "examiner.north", {"kind": "pistol", "country_of_manufacture": "AT", "serial_number": "GL-555"}),
        (s, "examiner.south", {"kind": "3d_printed"}),
    ):
        svc.ok(svc.post(f"/api/cases/{case}/firearms", user, json=body), 201)
    reg = tmp_path / "reg.csv"
    reg.write_text("make,model,calibre,serial,country,date_reported\nGlock,17,9mm,GL555,SOUTH,2022-01-01\n")
    assert CliRunner().invoke(cli, ["registry", "import", str(reg), "--database-url", svc.settings.database_url]).exit_code == 0

    year = date.today().year
    rows = svc.ok(svc.get("/api/intel/firearms-by-type", "analyst.north"))
    assert {(r["jurisdiction"], r["kind"], r["converted"], r["origin"], r["count"]) for r in rows} == {
        ("NORTH", "converted_alarm", True, "TR", 2), ("NORTH", "pistol", False, "AT", 1),
        ("SOUTH", "3d_printed", True, "unknown", 1)}
    assert {r["year"] for r in rows} == {year}
    routes = svc.ok(svc.get("/api/intel/trafficking-routes", "analyst.north"))
    # The Glock's last legal owner was in SOUTH (stolen-register country): a cross-border route.
    assert routes == [
        {"origin": "SOUTH", "origin_basis": "last_legal_owner", "recovered_in": "NORTH", "cross_border": True, "count": 1},
        {"origin": "TR", "origin_basis": "manufacture", "recovered_in": "NORTH", "cross_border": True, "count": 2},
    ]
    csv_text = svc.get("/api/intel/trafficking-routes", "analyst.north", params={"format": "csv"}).text
    assert csv_text.splitlines()[0] == "origin,origin_basis,recovered_in,cross_border,count"
    png = svc.get("/api/intel/trafficking-routes", "analyst.north", params={"format": "png"})
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert svc.get("/api/intel/trafficking-routes", "analyst.north", params={"format": "svg"}).status_code == 422
    assert svc.get("/api/intel/trafficking-routes", "partner.partner").status_code == 403
