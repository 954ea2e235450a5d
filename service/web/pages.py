"""The examiner's review pages: run queue, ranked candidates, one candidate, decisions, reports.

Pages are rendered on the server (Jinja2) and read and write through the API's own
route functions, so visibility rules, scopes, audit entries and the review and lead
logic are the API's, not a copy of them. Figures are PNGs from matplotlib served by
an authenticated route; the comparison is cached per (run, candidate), the figures
(whose titles, axes, legends and text alternatives are words) per language too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import func, select

from ballistics_core.errors import BallisticsError
from service import audit, reasons
from service.api.deps import SessionDep, SettingsDep
from service.api.routes import leads as leads_api
from service.api.routes import login as login_api
from service.api.routes import reviews as reviews_api
from service.api.routes import runs as runs_api
from service.crud.access import own_candidate, sees_only_hit_no_hit
from service.api.types import MAX_DB_ID, DbId
from service.crud.signin import revoke_session, token_hash
from service.models import (
    Candidate, CorrelationRun, Lead, LeadState, RefreshToken, Review, ReviewDecision, RunStatus, User,
)
from service.reports.cache import ReviewMaterial, review_cache
from service.reports.comparison_report import MEDIA_TYPES, RecordedReview, ReportContext, build_report
from service.reports.pairs import compare_pair
from service.schemas import CandidatePublic, LeadCreate, LeadTransition, ReviewCreate
from service.web import csrf
from service.web.auth import (COOKIE, HOME, LOGIN, PREFIX, Viewer, ViewerDep, need, optional_viewer, role_home,
                              safe_next, same_origin)
from service.web.i18n import LANG_COOKIE, N_, known
from service.web.render import STATIC, error_page, language, render, translator
from service.voice import Voice

HERE = Path(__file__).resolve().parent

FIGURE_NAMES = ("surfaces", "overlay", "firing_pin")
FIGURE_TITLES = {
    "surfaces": N_("Aligned surfaces with congruent cells"),
    "overlay": N_("Overlay and difference"),
    "firing_pin": N_("Firing-pin comparison"),
}

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def case_label(c: CandidatePublic, _=lambda s: s) -> str:
    m = c.match
    if m is None:
        return _("no case record here")
    if m.reference:
        disclosed = _("disclosed")
        return m.reference if not m.disclosed else f"{m.reference} ({m.jurisdiction}, {disclosed})"
    return f"{m.jurisdiction} · {m.opaque_reference}"


# --- static files and login ------------------------------------------------------------


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    if name not in STATIC:
        raise reasons.page_not_found()
    return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name],
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def root() -> RedirectResponse:
    return RedirectResponse(HOME, status.HTTP_303_SEE_OTHER)


@router.get("/home", response_class=HTMLResponse)
def home(viewer: ViewerDep) -> RedirectResponse:
    """Each role starts on its own main page."""
    return RedirectResponse(role_home(viewer.user.role), status.HTTP_303_SEE_OTHER)


def guard(request: Request, settings, token: str | None) -> None:
    """Every state-changing form: same origin and a valid CSRF token."""
    same_origin(request)
    csrf.check(request, settings, token)


CsrfField = Annotated[str | None, Form(alias=csrf.CSRF_FIELD, max_length=300)]


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", next=safe_next(next), error=None, username="")


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = HOME,
    csrf_token: CsrfField = None,
) -> Response:
    try:
        guard(request, settings, csrf_token)
    except HTTPException as exc:
        return render(request, "login.html", status_code=exc.status_code, next=safe_next(next), username=username,
                      error="expired")
    form = OAuth2PasswordRequestForm(username=username, password=password, scope="")
    try:
        token = login_api.login(form, request, session, settings)
    except HTTPException as exc:
        # throttling (429) and lockout (423) say so; anything else is bad credentials
        return render(request, "login.html", status_code=exc.status_code, next=safe_next(next), username=username,
                      error={423: "locked", 429: "throttled"}.get(exc.status_code, "credentials"))
    response = RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)
    # The cookie holds the session's refresh token: opaque, revocable, looked up by hash.
    response.set_cookie(
        COOKIE, token.refresh_token, max_age=settings.refresh_token_days * 86400, path=PREFIX,
        httponly=True, samesite="strict", secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, settings: SettingsDep, csrf_token: CsrfField = None) -> Response:
    try:
        guard(request, settings, csrf_token)
    except HTTPException as exc:
        return error_page(request, None, exc)
    cookie = request.cookies.get(COOKIE)
    if cookie and len(cookie) <= 200:
        row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash(cookie)))
        if row is not None and row.revoked_at is None:
            revoke_session(session, row.id, "signed out")
            audit.record(session, session.get(User, row.user_id), "logout", "user", row.user_id, session_id=row.id)
            session.commit()
    response = RedirectResponse(LOGIN, status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response


@router.post("/language")
def choose_language(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    lang: Annotated[str, Form(max_length=16)],
    next: Annotated[str, Form(max_length=500)] = HOME,
    csrf_token: CsrfField = None,
) -> Response:
    """The language of the pages: the user's setting when signed in, a cookie before."""
    try:
        guard(request, settings, csrf_token)
        if known(lang) is None:
            raise reasons.unknown_language(lang)
        viewer = optional_viewer(request, session, settings)
        if viewer is not None:
            user = session.get(User, viewer.user.id)
            if user.locale != lang:
                audit.record(session, user, "update", "user", user.id, locale=lang, via="pages")
                user.locale = lang
            session.commit()
    except HTTPException as exc:
        return error_page(request, None, exc)
    target = next if next == LOGIN or next.startswith(LOGIN + "?") else safe_next(next)
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, path=PREFIX, samesite="strict",
                        httponly=True, secure=request.url.scheme == "https")
    return response


# --- the queue and one run -----------------------------------------------------------------


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    try:
        need(viewer, "runs:read")
        if sees_only_hit_no_hit(session, viewer.user):
            # A partner jurisdiction learns hit or no-hit only (the API refuses it the candidates
            # and their scores): its scan queries, with that answer, are on the partner page.
            return RedirectResponse(f"{PREFIX}/partner#scan-title", status.HTTP_303_SEE_OTHER)
        runs = runs_api.list_runs(session, viewer.user)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    ids = [r.id for r in runs]
    counts, best, reviewed = {}, {}, {}
    if ids:
        for run_id, n, top in session.execute(
            select(Candidate.run_id, func.count(Candidate.id), func.max(Candidate.log10_lr))
            .where(Candidate.run_id.in_(ids)).group_by(Candidate.run_id)
        ):
            counts[run_id], best[run_id] = n, top
        for run_id, n in session.execute(
            select(Candidate.run_id, func.count(func.distinct(Review.candidate_id)))
            .join(Review, Review.candidate_id == Candidate.id)
            .where(Candidate.run_id.in_(ids)).group_by(Candidate.run_id)
        ):
            reviewed[run_id] = n
    rows = [
        dict(run=r, scan=r.scan, exhibit=r.scan.exhibit, case=r.scan.exhibit.case,
             n=counts.get(r.id, 0), best=best.get(r.id), reviewed=reviewed.get(r.id, 0))
        for r in sorted(runs, key=lambda r: r.id, reverse=True)
    ]
    session.commit()
    busy = any(r.status in (RunStatus.queued, RunStatus.running) for r in runs)
    return render(request, "runs.html", viewer=viewer, rows=rows, busy=busy)


def _latest_reviews(session, candidate_ids: list[int]) -> dict[int, Review]:
    latest: dict[int, Review] = {}
    if candidate_ids:
        for rev in session.scalars(select(Review).where(Review.candidate_id.in_(candidate_ids)).order_by(Review.id)):
            latest[rev.candidate_id] = rev
    return latest


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep) -> HTMLResponse:
    try:
        need(viewer, "runs:read")
        run = runs_api.read_run(run_id, session, viewer.user)
        candidates = runs_api.list_candidates(run_id, session, settings, viewer.user)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    latest = _latest_reviews(session, [c.id for c in candidates])
    _ = translator(request, viewer)
    rows = [dict(c=c, case=case_label(c, _), review=latest.get(c.id)) for c in candidates]
    session.commit()
    return render(request, "run.html", viewer=viewer, run=run, scan=run.scan, exhibit=run.scan.exhibit,
                  case=run.scan.exhibit.case, rows=rows)


# --- one candidate --------------------------------------------------------------------------


def _pair_source(request: Request, run: CorrelationRun, cand: Candidate):
    """What comparing this candidate needs, read now, so the comparison can run with no
    transaction open (on SQLite every transaction holds the write lock)."""
    engine = request.app.state.engine
    key = (run.id, cand.id)
    query_sig, cand_sig = run.scan.signature_id, cand.signature_id
    label_a, rank = run.scan.exhibit.lab_number, cand.rank

    def compute():
        return compare_pair(engine.load(query_sig), engine.load(cand_sig), label_a=label_a,
                            label_b=f"candidate {rank}")

    def relabel(pair, v: Voice):
        # The figures name B in the reader's words; A is the exhibit's lab number, no words.
        return replace(pair, label_b=v._("candidate %(rank)s", rank=rank))

    return request.app.state, key, compute, relabel


def _material(source, v: Voice) -> ReviewMaterial:
    state, key, compute, relabel = source
    try:
        return review_cache(state).material(*key, compute, v, relabel)
    except (BallisticsError, KeyError, FileNotFoundError) as exc:
        raise reasons.cannot_compare(exc) from None


def _candidate_context(session, settings, viewer: Viewer, candidate_id: int):
    """The candidate, its run and its public record, checked as the API checks them."""
    need(viewer, "runs:read")
    cand = own_candidate(session, viewer.user, candidate_id)
    run = cand.run
    listed = runs_api.list_candidates(run.id, session, settings, viewer.user)
    public = next(c for c in listed if c.id == cand.id)
    return cand, run, listed, public


@router.get("/candidates/{candidate_id}", response_class=HTMLResponse)
def candidate_page(
    candidate_id: DbId, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    review: int | None = None, lead: int | None = None, lead_error: str | None = None,
) -> HTMLResponse:
    try:
        cand, run, listed, public = _candidate_context(session, settings, viewer, candidate_id)
        reviews = reviews_api.list_reviews(candidate_id, session, viewer.user)
        leads = list(session.scalars(select(Lead).where(Lead.candidate_id == cand.id).order_by(Lead.id)))
        examiners = {r.id: r.examiner.username for r in reviews}
        same_case = cand.scan is not None and cand.scan.exhibit.case_id == run.scan.exhibit.case_id
        page = dict(run=run, scan=run.scan, exhibit=run.scan.exhibit, case=run.scan.exhibit.case)
        source = _pair_source(request, run, cand)
        session.commit()
        code = language(request, viewer)
        material = _material(source, Voice(code))
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    idx = [c.id for c in listed].index(cand.id)
    prev_c = listed[idx - 1] if idx > 0 else None
    next_c = listed[idx + 1] if idx + 1 < len(listed) else None
    _ = translator(request, viewer)
    figures = [
        # The language is in the image's address: a browser that cached the figure in one
        # language fetches it again after the reader switches to another.
        dict(name=n, title=_(FIGURE_TITLES[n]), alt=material.figures[n].alt,
             src=f"{PREFIX}/candidates/{cand.id}/figures/{n}.png?lang={code}")
        for n in FIGURE_NAMES
    ]
    issued = [ld for ld in leads if ld.state == LeadState.issued]
    return render(
        request, "candidate.html", viewer=viewer, **page, cand=cand, public=public, case_label=case_label(public, translator(request, viewer)),
        comparison=material.pair.comparison, figures=figures, reviews=reviews, examiners=examiners,
        leads=leads, issued=issued, prev_c=prev_c, next_c=next_c, decisions=[d.value for d in ReviewDecision],
        can_review=viewer.may("reviews:write"), can_lead=viewer.may("leads:write") and not same_case
        and cand.scan is not None, flash_review=review, flash_lead=lead, lead_error=lead_error,
        query_sha=material.pair.a.source_sha256, cand_sha=material.pair.b.source_sha256,
        can_export=viewer.may("hits:read"),
    )


@router.get("/candidates/{candidate_id}/figures/{name}.png")
def candidate_figure(
    candidate_id: DbId, name: str, request: Request, session: SessionDep, viewer: ViewerDep,
    lang: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    if name not in FIGURE_NAMES:
        raise reasons.not_found("figure")
    if lang is not None and known(lang) is None:
        raise reasons.unknown_language(lang)
    need(viewer, "runs:read")
    cand = own_candidate(session, viewer.user, candidate_id)
    source = _pair_source(request, cand.run, cand)
    audit.record(session, viewer.user, "read", "figure", cand.id, figure=name)
    session.commit()
    fig = _material(source, Voice(lang or language(request, viewer))).figures[name]
    return Response(fig.png, media_type="image/png", headers={"Cache-Control": "private, max-age=600"})


@router.post("/candidates/{candidate_id}/reviews")
def record_decision(
    candidate_id: DbId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    decision: Annotated[ReviewDecision, Form()],
    notes: Annotated[str, Form(max_length=4000)] = "",
    propose_lead: Annotated[bool, Form()] = False,
    confirm_lead: Annotated[int | None, Form(ge=1, le=MAX_DB_ID)] = None,
    csrf_token: CsrfField = None,
) -> Response:
    try:
        guard(request, settings, csrf_token)
        need(viewer, "reviews:write")
        review = reviews_api.create_review(candidate_id, ReviewCreate(decision=decision, notes=notes.strip()),
                                           session, viewer.user)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    target = f"{PREFIX}/candidates/{candidate_id}?review={review.id}"
    if decision == ReviewDecision.identification and (propose_lead or confirm_lead):
        # The identification feeds the lead workflow: a new lead to the candidate's case,
        # or the confirmation of one already issued (which then makes the hit).
        try:
            need(viewer, "leads:write")
            note = f"identification recorded in review {review.id}" + (f": {notes.strip()}" if notes.strip() else "")
            if confirm_lead:
                lead = leads_api.transition_lead(confirm_lead, LeadTransition(to=LeadState.confirmed,
                                                 review_id=review.id, notes=note), session, settings, viewer.user)
            else:
                lead = leads_api.propose_lead(LeadCreate(candidate_id=candidate_id, notes=note), session, settings,
                                              viewer.user)
            target += f"&lead={lead.id}"
        except HTTPException as exc:
            session.rollback()
            target += f"&lead_error={exc.status_code}"
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


@router.post("/candidates/{candidate_id}/report")
def export_report(
    candidate_id: DbId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    format: Annotated[str, Form(pattern="^(pdf|png)$")] = "pdf",
    csrf_token: CsrfField = None,
) -> Response:
    from service.intel.reports import Product
    from service.intel.scope import Scope, ScopeError
    from service.intel.store import reports_dir, save_report

    try:
        guard(request, settings, csrf_token)
        cand, run, _, public = _candidate_context(session, settings, viewer, candidate_id)
        try:
            scope = Scope.for_user(session, settings, viewer.user)
        except ScopeError as exc:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from None
        reviews = [
            RecordedReview(r.decision.value, r.notes, r.examiner.username, r.created_at)
            for r in reviews_api.list_reviews(candidate_id, session, viewer.user)
        ]
        visible = public.scan_id is not None
        # The report is written in the reader's language, as the page is (their setting, else
        # the browser's Accept-Language); the API's own downloads stay in English.
        v = Voice(language(request, viewer))
        q = run.scan.exhibit
        ctx = dict(
            run_id=run.id, rank=cand.rank,
            query_case=v._("%(case)s (%(title)s), exhibit %(exhibit)s", case=q.case.reference, title=q.case.title,
                           exhibit=q.lab_number),
            candidate_case=case_label(public, v._) + (
                v._(", exhibit %(exhibit)s", exhibit=public.exhibit_lab_number) if visible else ""),
            query_file=run.scan.filename,
            candidate_file=cand.scan.filename if visible and cand.scan else v._("(withheld: case not disclosed)"),
            generated_by=f"{viewer.user.username} ({v.term(viewer.user.role)})",
            stored=dict(fused_score=cand.fused_score, log10_lr=cand.log10_lr, decision=cand.decision),
            reviews=tuple(reviews),
        )
        source = _pair_source(request, run, cand)
        session.commit()
        material = _material(source, v)  # the report's figures and labels in its language
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    pair = material.pair
    context = ReportContext(query_sha256=pair.a.source_sha256, candidate_sha256=pair.b.source_sha256,
                            generated_at=datetime.now(timezone.utc), **ctx)
    content = build_report(pair, context, format=format, voice=v)
    c = pair.comparison
    product = Product(
        kind="comparison", format=format, media_type=MEDIA_TYPES[format], content=content,
        params={"run_id": run.id, "candidate_id": cand.id},
        summary={"query_sha256": pair.a.source_sha256, "candidate_sha256": pair.b.source_sha256,
                 "algorithm_version": c.algorithm_version, "params_digest": c.params_digest, "cmc": c.cmc,
                 "log10_lr": c.log10_lr, "decision": c.decision, "verbal": c.verbal, "gate": c.gate,
                 "lr_model": c.lr_model,
                 "examiner_decisions": [r.decision for r in context.reviews], "language": v.code},
    )
    stored = save_report(session, reports_dir(settings), scope, product)
    session.commit()
    filename = f"comparison-run{run.id}-rank{cand.rank}-report{stored.id}.{format}"
    return Response(content, media_type=MEDIA_TYPES[format], headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-SHA256": stored.sha256,
        "X-Report-Id": str(stored.id),
        "Cache-Control": "no-store",
    })
