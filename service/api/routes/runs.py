"""Correlation runs: start one for a stored scan, watch its progress, read its candidates."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import select

from service import audit
from service.api.types import DbId, QueryDbId, errors
from service.api.deps import RunReader, RunWriter, SessionDep, SettingsDep
from service.crud.access import CaseViewer, opaque_reference, own_run, own_scan, sees_only_hit_no_hit
from service.jobs import queue_run
from service.models import Candidate, Case, CorrelationRun, Exhibit, ScanRecord
from service.schemas import CandidatePublic, PartnerCandidate, PartnerRunResult, RunCreate, RunPublic

router = APIRouter(tags=["runs"])

HIT_DECISIONS = {"identification", "same_source", "match"}


def is_hit(candidate: Candidate, threshold: float) -> bool:
    """A candidate the engine concluded is the same firearm.

    The engine's decision already follows from its likelihood ratio and its
    quality gates; a strong LR that a gate withheld is not a hit. Only
    candidates recorded without a decision fall back on the LR threshold.
    """
    if candidate.decision:
        return candidate.decision in HIT_DECISIONS
    return candidate.log10_lr is not None and candidate.log10_lr >= threshold


@router.post("/scans/{scan_id}/runs", response_model=RunPublic, status_code=status.HTTP_202_ACCEPTED, responses=errors(404, 409))
def start_run(scan_id: DbId, body: RunCreate, request: Request, session: SessionDep, user: RunWriter) -> CorrelationRun:
    scan = own_scan(session, user, scan_id)
    if not scan.signature_id:
        raise HTTPException(409, detail="this scan has no stored signature")
    run = queue_run(session, scan=scan, user_id=user.id, scope=body.scope.model_dump(mode="json", exclude_none=True))
    audit.record(session, user, "create", "run", run.id, scan_id=scan.id, scope=run.scope)
    session.commit()
    request.app.state.jobs.submit(run.id, run.priority)
    return run


@router.get("/runs", response_model=list[RunPublic])
def list_runs(session: SessionDep, user: RunReader, scan_id: QueryDbId = None) -> list[CorrelationRun]:
    q = (
        select(CorrelationRun)
        .join(ScanRecord, CorrelationRun.scan_id == ScanRecord.id)
        .join(Exhibit, ScanRecord.exhibit_id == Exhibit.id)
        .join(Case, Exhibit.case_id == Case.id)
        .where(Case.jurisdiction_id == user.jurisdiction_id)
        .order_by(CorrelationRun.id)
    )
    if scan_id is not None:
        q = q.where(CorrelationRun.scan_id == scan_id)
    runs = list(session.scalars(q))
    audit.record(session, user, "read", "runs", "", ids=[r.id for r in runs])
    session.commit()
    return runs


@router.get("/runs/{run_id}", response_model=RunPublic, responses=errors(404))
def read_run(run_id: DbId, session: SessionDep, user: RunReader) -> CorrelationRun:
    run = own_run(session, user, run_id)
    audit.record(session, user, "read", "run", run.id)
    session.commit()
    return run


@router.get("/runs/{run_id}/candidates", response_model=list[CandidatePublic], responses=errors(404))
def list_candidates(
    run_id: DbId, session: SessionDep, settings: SettingsDep, user: RunReader
) -> list[CandidatePublic]:
    run = own_run(session, user, run_id)
    if sees_only_hit_no_hit(session, user):
        raise HTTPException(403, detail="partner jurisdictions see hit / no-hit only: use /runs/{id}/result")
    viewer = CaseViewer(session, settings, user)
    out = []
    for c in session.scalars(select(Candidate).where(Candidate.run_id == run.id).order_by(Candidate.rank)):
        case = c.scan.exhibit.case if c.scan else None
        match = viewer.ref(case) if case else None
        visible = match is not None and match.case_id is not None
        out.append(
            CandidatePublic(
                id=c.id,
                run_id=c.run_id,
                rank=c.rank,
                match=match,
                scan_id=c.scan_id if visible else None,
                exhibit_lab_number=c.scan.exhibit.lab_number if visible else None,
                breech_face_score=c.breech_face_score,
                firing_pin_score=c.firing_pin_score,
                fused_score=c.fused_score,
                log10_lr=c.log10_lr,
                decision=c.decision,
                rotation_deg=c.rotation_deg,
                dx_um=c.dx_um,
                dy_um=c.dy_um,
            )
        )
    audit.record(session, user, "read", "candidates", run.id, ids=[c.id for c in out])
    session.commit()
    return out


@router.get("/runs/{run_id}/result", response_model=PartnerRunResult, responses=errors(404))
def run_result(run_id: DbId, session: SessionDep, settings: SettingsDep, user: RunReader) -> PartnerRunResult:
    """Hit or no-hit, with opaque references: what a foreign partner may see of a run."""
    run = own_run(session, user, run_id)
    cands = []
    for c in session.scalars(select(Candidate).where(Candidate.run_id == run.id).order_by(Candidate.rank)):
        hit = is_hit(c, settings.hit_log10_lr)
        ref = opaque_reference(settings, c.scan.exhibit.case_id) if (hit and c.scan) else None
        cands.append(PartnerCandidate(rank=c.rank, hit=hit, opaque_reference=ref))
    audit.record(session, user, "read", "run_result", run.id)
    session.commit()
    return PartnerRunResult(run_id=run.id, status=run.status, hit=any(c.hit for c in cands), candidates=[c for c in cands if c.hit])
