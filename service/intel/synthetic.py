"""A seeded, realistic case load written through the real models, with its ground truth.

Seven jurisdictions (five domestic, two foreign partners) over three years: shootings
with recovered cartridge cases, seizures with test fires from the seized gun, scans,
correlation runs with candidates, leads in every state, and *planted series*: sets
of cases fired by one gun, linked by confirmed leads (a spanning tree of hits, each
new case's run finding an earlier one), often ending with the gun's seizure, and
sometimes extended by a partner's test fire of the same seized gun (a firearm link,
no hit). Everything else is noise that must not join a series: unconfirmed leads,
seized guns with no history.

:func:`generate` bulk-inserts into a freshly migrated, empty database and returns a
:class:`SyntheticTruth` computed from its own bookkeeping, never from the database,
so the products can be checked against it.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from service import audit
from service.models import (
    Agency,
    Candidate,
    Case,
    CorrelationRun,
    Event,
    EventKind,
    Exhibit,
    ExhibitKind,
    Hit,
    Jurisdiction,
    Lead,
    LeadState,
    LocationPrecision,
    Review,
    ReviewDecision,
    Role,
    RunStatus,
    ScanRecord,
    User,
)

# code, name, partner, centre latitude, centre longitude, share of the case load
JURISDICTIONS = [
    ("NORTH", "Northshire Constabulary", False, 53.80, -1.55, 0.21),
    ("SOUTH", "Southvale Police Service", False, 51.45, -2.59, 0.18),
    ("EAST", "Eastmarch Police", False, 52.63, 1.30, 0.14),
    ("WEST", "Westdale Police", False, 51.48, -3.18, 0.13),
    ("CENTRAL", "Central Counties Police", False, 52.48, -1.90, 0.16),
    ("PARTNER-FR", "Foreign partner (FR)", True, 48.85, 2.35, 0.09),
    ("PARTNER-NL", "Foreign partner (NL)", True, 52.37, 4.90, 0.09),
]
STAFF = [Role.lab_submitter, Role.examiner, Role.analyst, Role.investigator, Role.prosecutor]
PARTNER_STAFF = [Role.partner, Role.lab_submitter, Role.examiner]
STREETS = ["High", "Mill", "Station", "Church", "Park", "Victoria", "Queen", "King", "Bridge", "Market"]
GUNS = ["Glock 17", "Glock 19", "Beretta 92", "CZ 75", "Walther P99", "SIG P226", "Makarov PM", "Zastava M70"]
NOISE_STATES = [
    (LeadState.proposed, 0.2),
    (LeadState.issued, 0.2),
    (LeadState.refuted, 0.35),
    (LeadState.inconclusive, 0.15),
    (LeadState.withdrawn, 0.1),
]
COUNTED = ("items", "test_fires", "scans", "runs", "leads", "confirmed", "decided")


@dataclass
class SyntheticTruth:
    """What the generator planted, from its own bookkeeping."""

    seed: int
    n_cases: int
    start: date
    end: date
    jurisdiction_ids: dict[str, int]
    series: list[frozenset[int]]
    series_firearms: list[str | None]
    # kind -> list of (jurisdiction code, date); hits hold (code_a, code_b, date).
    records: dict[str, list[tuple[str, date]]] = field(default_factory=dict)
    hits: list[tuple[str, str, date]] = field(default_factory=list)
    lead_states: list[tuple[str, date, str]] = field(default_factory=list)
    firearm_links: int = 0

    def count(self, kind: str, code: str, start: date | None = None, end: date | None = None) -> int:
        start, end = start or self.start, end or self.end
        if kind == "hits":
            return sum(1 for a, b, d in self.hits if code in (a, b) and start <= d < end)
        if kind == "cross_border_hits":
            return sum(1 for a, b, d in self.hits if code in (a, b) and a != b and start <= d < end)
        return sum(1 for c, d in self.records[kind] if c == code and start <= d < end)

    def states(self, code: str, start: date | None = None, end: date | None = None) -> Counter:
        start, end = start or self.start, end or self.end
        return Counter(s for c, d, s in self.lead_states if c == code and start <= d < end)

    def matrix(self, start: date | None = None, end: date | None = None) -> Counter:
        start, end = start or self.start, end or self.end
        out: Counter = Counter()
        for a, b, d in self.hits:
            if start <= d < end:
                out[(a, b)] += 1
                if a != b:
                    out[(b, a)] += 1
        return out


def _at(day: date, hours: float) -> datetime:
    return datetime.combine(day, time(8, 0), tzinfo=timezone.utc) + timedelta(hours=hours)


class _Writer:
    """Accumulates rows with explicit ids, then inserts each table in one executemany."""

    def __init__(self):
        self.rows: dict[type, list[dict]] = {}

    def add(self, model, **values) -> int:
        rows = self.rows.setdefault(model, [])
        values.setdefault("id", len(rows) + 1)
        rows.append(values)
        return values["id"]

    def flush(self, session: Session) -> None:
        order = [Jurisdiction, Agency, User, Case, Event, Exhibit, ScanRecord, CorrelationRun, Candidate,
                 Review, Lead, Hit]
        for model in order:
            rows = self.rows.get(model)
            for i in range(0, len(rows or []), 5000):
                session.execute(insert(model), rows[i:i + 5000])


def generate(
    session: Session,
    *,
    n_cases: int = 10_000,
    seed: int = 0,
    n_series: int | None = None,
    start: date = date(2022, 1, 1),
    years: int = 3,
    password_hash: str = "!synthetic-account-cannot-log-in",
) -> SyntheticTruth:
    """Write the case load into an empty, migrated database and commit.

    Parameters
    ----------
    n_cases
        Cases over all jurisdictions.
    seed
        Everything is a function of the seed.
    n_series
        Planted series (default: one per 100 cases, at least 6).
    password_hash
        Stored for every generated user (default: nobody can log in); tests pass
        a real hash to sign in as ``<role>.<code in lower case>``.
    """
    if session.scalar(select(func.count()).select_from(Case)):
        raise ValueError("the synthetic case load needs a database without cases")
    if session.scalar(select(func.count()).select_from(Jurisdiction)):
        raise ValueError("the synthetic case load needs a database without jurisdictions")
    rng = random.Random(seed)
    end = date(start.year + years, start.month, start.day)
    span = (end - start).days
    n_series = max(6, n_cases // 100) if n_series is None else n_series
    w = _Writer()
    truth = SyntheticTruth(seed=seed, n_cases=n_cases, start=start, end=end, jurisdiction_ids={},
                           series=[], series_firearms=[], records={k: [] for k in COUNTED})
    rec = truth.records

    staff: dict[tuple[str, Role], int] = {}
    towns: dict[str, list[tuple[str, float, float]]] = {}
    for code, name, partner, lat, lon, _share in JURISDICTIONS:
        jid = w.add(Jurisdiction, code=code, name=name, is_partner=partner)
        truth.jurisdiction_ids[code] = jid
        agency = w.add(Agency, jurisdiction_id=jid, name=f"{name} laboratory", kind="laboratory")
        for role in PARTNER_STAFF if partner else STAFF:
            staff[(code, role)] = w.add(
                User, username=f"{role.value}.{code.lower()}", full_name=f"{role.value} {code}",
                hashed_password=password_hash, role=role, jurisdiction_id=jid, agency_id=agency,
                is_active=True, created_at=_at(start, 0),
            )
        towns[code] = [
            (f"{code.title()} town {k}", lat + rng.uniform(-0.4, 0.4), lon + rng.uniform(-0.6, 0.6)) for k in range(4)
        ]

    codes = [j[0] for j in JURISDICTIONS]
    shares = [j[5] for j in JURISDICTIONS]
    case_code: dict[int, str] = {}
    case_date: dict[int, date] = {}
    case_scans: dict[int, list[tuple[int, int, datetime]]] = {}  # case -> (scan id, run id, run time)
    run_rank: dict[int, int] = {}
    seizures: list[int] = []
    shootings: list[int] = []
    gun_serial = iter(range(100000, 10**7))

    def new_gun() -> str:
        return f"{rng.choice(GUNS)} SN{next(gun_serial)}"

    def add_exhibit(cid: int, code: str, event_id: int, kind: ExhibitKind, recovered: date, firearm: str = "",
                    force_scan: bool = False) -> None:
        exhibit_count[cid] = ex_no = exhibit_count.get(cid, 0) + 1
        created = _at(recovered, 24 * (1 + rng.expovariate(1 / 9)))
        ex = w.add(Exhibit, case_id=cid, event_id=event_id, kind=kind, lab_number=f"{code}-{cid}-{ex_no}",
                   description="fired cartridge case" if kind == ExhibitKind.cartridge_case else "test fire",
                   calibre="9mm Luger", firearm=firearm, created_at=created)
        if kind == ExhibitKind.cartridge_case:
            rec["items"].append((code, recovered))
        else:
            rec["test_fires"].append((code, created.date()))
        if not force_scan and rng.random() > 0.92:
            return
        uploaded = created + timedelta(hours=24 * rng.expovariate(1 / 6))
        scan_id = len(w.rows.get(ScanRecord, [])) + 1
        sha = hashlib.sha256(f"synthetic:{seed}:{scan_id}".encode()).hexdigest()
        w.add(ScanRecord, exhibit_id=ex, sha256=sha, filename=f"{code}-{cid}-{ex}.x3p",
              stored_path=f"synthetic/{sha}.x3p", size_bytes=2_000_000 + scan_id, instrument="synthetic",
              region="breech_face", kind="topography", signature_id=f"SYN{seed}-{scan_id}",
              uploaded_by_id=staff[(code, Role.lab_submitter)], uploaded_at=uploaded)
        rec["scans"].append((code, uploaded.date()))
        run_at = uploaded + timedelta(minutes=30)
        run = w.add(CorrelationRun, scan_id=scan_id, requested_by_id=staff[(code, Role.lab_submitter)],
                    scope={"jurisdictions": "all"}, status=RunStatus.done, progress=1.0, algorithm_version="synthetic",
                    params_digest="synthetic", n_searched=scan_id - 1, created_at=run_at,
                    started_at=run_at, finished_at=run_at + timedelta(minutes=3))
        rec["runs"].append((code, run_at.date()))
        run_rank[run] = 0
        case_scans[cid].append((scan_id, run, run_at))

    exhibit_count: dict[int, int] = {}

    def add_case(code: str, incident: date, kind: EventKind, *, firearm: str = "", force_scan: bool = False) -> int:
        jid = truth.jurisdiction_ids[code]
        cid = len(w.rows.get(Case, [])) + 1
        w.add(Case, jurisdiction_id=jid, reference=f"{code}/{incident.year}/{cid:06d}",
              title=f"{kind.value} {incident.isoformat()}", status="open",
              created_by_id=staff[(code, Role.lab_submitter)], created_at=_at(incident, 2))
        town, tlat, tlon = rng.choice(towns[code])
        precision = rng.choices(
            [LocationPrecision.exact, LocationPrecision.street, LocationPrecision.district, LocationPrecision.unknown],
            [0.45, 0.35, 0.15, 0.05],
        )[0]
        lat = lon = None
        location = ""
        if precision != LocationPrecision.unknown:
            lat, lon = tlat + rng.gauss(0, 0.03), tlon + rng.gauss(0, 0.04)
            location = f"{rng.randint(1, 200)} {rng.choice(STREETS)} Street, {town}"
        date_to = incident + timedelta(days=rng.randint(1, 3)) if rng.random() < 0.1 else None
        ev = w.add(Event, case_id=cid, kind=kind, date_from=incident, date_to=date_to, location=location,
                   latitude=lat, longitude=lon, location_precision=precision, notes="")
        case_code[cid], case_date[cid] = code, incident
        case_scans[cid] = []
        if kind == EventKind.shooting:
            for _ in range(rng.choices([1, 2, 3], [0.55, 0.3, 0.15])[0]):
                add_exhibit(cid, code, ev, ExhibitKind.cartridge_case, incident, force_scan=force_scan)
            shootings.append(cid)
        else:
            add_exhibit(cid, code, ev, ExhibitKind.test_fire, incident, firearm=firearm or new_gun(),
                        force_scan=force_scan)
            seizures.append(cid)
        return cid

    def lead(source: int, target: int, state: LeadState, lag_days: float) -> None:
        _scan, run, run_at = case_scans[source][0]
        target_scan, _run, target_run_at = case_scans[target][0]
        run_rank[run] += 1
        cand = w.add(Candidate, run_id=run, rank=run_rank[run], signature_id=f"SYN{seed}-{target_scan}",
                     scan_id=target_scan, breech_face_score=0.8 if state == LeadState.confirmed else 0.4,
                     firing_pin_score=None, fused_score=None,
                     log10_lr=4.0 if state == LeadState.confirmed else 1.0, decision="",
                     rotation_deg=0.0, dx_um=0.0, dy_um=0.0)
        code = case_code[source]
        created = max(run_at, target_run_at) + timedelta(hours=4 + 24 * rng.random())
        decided = created + timedelta(hours=24 * lag_days)
        review = None
        verdict = {LeadState.confirmed: ReviewDecision.identification, LeadState.refuted: ReviewDecision.elimination,
                   LeadState.inconclusive: ReviewDecision.inconclusive}.get(state)
        if verdict is not None:
            review = w.add(Review, candidate_id=cand, examiner_id=staff[(code, Role.examiner)], decision=verdict,
                           notes="synthetic", created_at=decided)
        lead_id = w.add(Lead, candidate_id=cand, source_case_id=source, target_case_id=target, state=state,
                        identification_review_id=review if state == LeadState.confirmed else None, notes="",
                        created_by_id=staff[(code, Role.examiner)], created_at=created,
                        updated_at=decided if state != LeadState.proposed else created)
        rec["leads"].append((code, created.date()))
        truth.lead_states.append((code, created.date(), state.value))
        if state in (LeadState.confirmed, LeadState.refuted, LeadState.inconclusive):
            rec["decided"].append((code, created.date()))
        if state == LeadState.confirmed:
            rec["confirmed"].append((code, created.date()))
            w.add(Hit, lead_id=lead_id, case_a_id=source, case_b_id=target, created_at=decided)
            truth.hits.append((code, case_code[target], decided.date()))

    # Series members are made first (forced scans), then background cases fill the load.
    sizes = [min(12, 2 + int(rng.expovariate(1 / 2.2))) for _ in range(n_series)]
    planned = []
    for size in sizes:
        home = rng.choices(codes, shares)[0]
        first = start + timedelta(days=rng.randint(0, span - 500))
        dates = sorted(first + timedelta(days=rng.randint(0, 360)) for _ in range(size))
        members_codes = [home if rng.random() > 0.35 else rng.choice(codes) for _ in range(size)]
        seized = rng.random() < 0.5
        partner_test = seized and rng.random() < 0.35
        planned.append((dates, members_codes, seized, partner_test))
    n_background = n_cases - sum(len(p[0]) + (1 if p[3] else 0) for p in planned)
    if n_background < 0:
        raise ValueError(f"{n_cases} cases cannot hold {n_series} planted series")

    # Interleave series and background cases by incident date so ids do not reveal series.
    schedule: list[tuple[date, int, int]] = []  # (date, series index or -1, member index)
    for s, (dates, _codes, _seized, _pt) in enumerate(planned):
        schedule.extend((d, s, m) for m, d in enumerate(dates))
    schedule.extend((start + timedelta(days=rng.randrange(span - 30)), -1, 0) for _ in range(n_background))
    schedule.sort(key=lambda t: t[0])
    members: list[list[int]] = [[] for _ in planned]
    guns: list[str | None] = [None] * len(planned)
    for day, s, m in schedule:
        if s < 0:
            kind = EventKind.seizure if rng.random() < 0.12 else EventKind.shooting
            add_case(rng.choices(codes, shares)[0], day, kind)
            continue
        dates, mcodes, seized, _pt = planned[s]
        last = m == len(dates) - 1
        if seized and last:
            guns[s] = new_gun()
            members[s].append(add_case(mcodes[m], day, EventKind.seizure, firearm=guns[s], force_scan=True))
        else:
            members[s].append(add_case(mcodes[m], day, EventKind.shooting, force_scan=True))

    for s, (dates, _mcodes, seized, partner_test) in enumerate(planned):
        cases = members[s]
        for i in range(1, len(cases)):
            lead(cases[i], cases[rng.randrange(i)], LeadState.confirmed, rng.expovariate(1 / 12))
        if partner_test:
            # The seized gun goes to a partner, who registers its own test fire.
            partner = rng.choice([c for c, _n, p, *_ in JURISDICTIONS if p])
            day = dates[-1] + timedelta(days=rng.randint(20, 90))
            cid = add_case(partner, day, EventKind.test_fire, firearm=guns[s])
            cases.append(cid)
            truth.firearm_links += 1
        truth.series.append(frozenset(cases))
        truth.series_firearms.append(guns[s])

    # Unconfirmed leads between unrelated scanned cases: noise that must not link anything.
    scanned = [c for c in case_scans if case_scans[c]]
    for _ in range(max(10, n_cases // 20)):
        a, b = rng.sample(scanned, 2)
        source, target = (a, b) if case_date[a] >= case_date[b] else (b, a)
        state = rng.choices([s for s, _p in NOISE_STATES], [p for _s, p in NOISE_STATES])[0]
        lead(source, target, state, rng.expovariate(1 / 10))

    w.flush(session)
    audit.record(session, None, "import", "synthetic_case_load", "", seed=seed, cases=n_cases, series=n_series)
    session.commit()
    truth.series.sort(key=lambda s: (-len(s), min(s)))
    return truth
