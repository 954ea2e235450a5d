"""Urgency: urgent submissions are searched first and held to the urgent turnaround
target; each exhibit shows its clock, and the coordinator sees the overdue list."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from service.jobs import JobRunner
from service.models import Exhibit


def test_urgent_runs_are_claimed_before_routine_runs_waiting_in_the_queue(database_url, tmp_path, sample_scans):
    """The shared queue in the database hands out the most urgent run first, then the oldest."""
    from sqlalchemy import select

    from service.models import CorrelationRun
    from tests.service.conftest import start_service

    svc = start_service(database_url, tmp_path, job_workers=0)  # this process only queues
    with svc.client:
        svc.world()
        _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
        up = svc.ok(svc.upload("lab_submitter.north", exhibit, sample_scans[0]), 201)
        factory = svc.client.app.state.session_factory
        with factory() as s:
            first = s.get(CorrelationRun, up["run"]["id"])
            runs = []
            for priority in (0, 0, 1, 0, 1):
                r = CorrelationRun(scan_id=first.scan_id, requested_by_id=first.requested_by_id, scope={},
                                   priority=priority)
                s.add(r)
                s.flush()
                runs.append((r.id, priority))
            s.commit()
        runner = JobRunner(factory, svc.client.app.state.engine, workers=0, top_k=1)
        order = []
        while (claim := runner.claim("test")) is not None:
            order.append(claim.run_id)
        ids = [i for i, _ in runs]
        assert order == [ids[2], ids[4], up["run"]["id"], ids[0], ids[1], ids[3]]
        with factory() as s:
            assert set(s.scalars(select(CorrelationRun.status).where(CorrelationRun.id.in_(order)))) == {"running"}


def test_turnaround_clock_and_overdue_list(service, sample_scans):
    svc = service
    svc.world()
    case = svc.ok(svc.post("/api/cases", "lab_submitter.north", json={"reference": "N-URG"}), 201)["id"]
    urgent = svc.ok(svc.post(f"/api/cases/{case}/exhibits", "lab_submitter.north",
                             json={"kind": "cartridge_case", "lab_number": "U-1", "urgent": True}), 201)
    routine = svc.ok(svc.post(f"/api/cases/{case}/exhibits", "lab_submitter.north",
                              json={"kind": "cartridge_case", "lab_number": "R-1"}), 201)
    late = svc.ok(svc.post(f"/api/cases/{case}/exhibits", "lab_submitter.north",
                           json={"kind": "cartridge_case", "lab_number": "U-2"}), 201)
    clock = svc.ok(svc.get(f"/api/exhibits/{urgent['id']}/turnaround", "analyst.north"))
    assert clock["urgent"] is True and clock["done_at"] is None and clock["overdue"] is False
    due = datetime.fromisoformat(clock["due_at"]) - datetime.fromisoformat(clock["submitted_at"])
    assert due == timedelta(hours=48)
    # Submitted three days ago; U-2 is made urgent later, with a reason.
    three_days_ago = datetime.now(timezone.utc) - timedelta(days=3)
    with svc.app.state.session_factory() as s:
        s.execute(update(Exhibit).where(Exhibit.id.in_([urgent["id"], routine["id"], late["id"]]))
                  .values(created_at=three_days_ago))
        s.commit()
    assert svc.post(f"/api/exhibits/{late['id']}/urgency", "lab_submitter.north", json={"urgent": True}).status_code == 422
    svc.ok(svc.post(f"/api/exhibits/{late['id']}/urgency", "lab_submitter.north",
                    json={"urgent": True, "reason": "linked to a homicide"}))
    overdue = svc.ok(svc.get("/api/turnaround/overdue", "analyst.north"))
    assert [t["lab_number"] for t in overdue] == ["U-1", "U-2"]  # the routine one has 30 days
    assert all(t["hours_elapsed"] >= 72 for t in overdue)
    assert svc.ok(svc.get("/api/turnaround/overdue", "analyst.south")) == []

    # A search of U-1 stops its clock: done, late, no longer on the list; the run was urgent.
    up = svc.ok(svc.upload("lab_submitter.north", urgent["id"], sample_scans[0]), 201)
    assert up["run"]["priority"] == 1
    svc.wait_run(up["run"]["id"], "examiner.north")
    clock = svc.ok(svc.get(f"/api/exhibits/{urgent['id']}/turnaround", "analyst.north"))
    assert clock["done_at"] and clock["overdue"] is False and clock["met_target"] is False
    assert [t["lab_number"] for t in svc.ok(svc.get("/api/turnaround/overdue", "analyst.north"))] == ["U-2"]
    assert svc.get(f"/api/exhibits/{urgent['id']}/turnaround", "analyst.south").status_code == 404
