"""Urgency: urgent submissions are searched first and held to the urgent turnaround
target; each exhibit shows its clock, and the coordinator sees the overdue list."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from service.jobs import JobRunner
from service.models import Exhibit


class _Recorder(JobRunner):
    """The real queue and pool; ``execute`` records the order instead of searching."""

    def __init__(self):
        super().__init__(session_factory=None, engine=None, workers=1, top_k=1)
        self.order: list[int] = []

    def execute(self, run_id: int) -> None:
        self.order.append(run_id)


def test_urgent_runs_overtake_routine_runs_waiting_for_a_worker():
    runner = _Recorder()
    gate = threading.Event()
    runner.pool.submit(gate.wait)  # the only worker is busy
    futures = [runner.submit(run_id, priority) for run_id, priority in ((1, 0), (2, 0), (3, 1), (4, 0), (5, 1))]
    gate.set()
    for f in futures:
        f.result(timeout=10)
    runner.shutdown()
    assert runner.order == [3, 5, 1, 2, 4]


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
