"""Demo data: two jurisdictions and a foreign partner, one user per role, sample scans.

Only ever called in demo mode. The passwords are fixed and printed so a demo can be
followed from the README; a production service has no users until an admin adds them.
Seeding is idempotent: a database that already has the demo jurisdictions is left alone.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select

from service import audit
from service.core.security import hash_password
from service.crud.uploads import ingest_upload
from service.models import Agency, Case, Event, EventKind, Exhibit, ExhibitKind, Jurisdiction, Role, User

log = logging.getLogger(__name__)

SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"

# (code, name, foreign partner, area of the events map). The demo's jurisdictions are
# made up, so their codes name no country: each domestic one is given an area of the
# shipped outlines to be drawn as; the foreign partner lies outside the region's map
# and is listed beside it.
JURISDICTIONS = [
    ("NORTH", "Northshire Constabulary", False, "RS"),
    ("SOUTH", "Southvale Police Service", False, "MK"),
    ("PARTNER", "Foreign partner (Prüm-style exchange)", True, None),
]
ROLES_PER_JURISDICTION = {
    "NORTH": [Role.lab_submitter, Role.examiner, Role.analyst, Role.investigator, Role.prosecutor, Role.auditor, Role.admin],
    "SOUTH": [Role.lab_submitter, Role.examiner, Role.analyst, Role.investigator],
    "PARTNER": [Role.partner],
}


def demo_password(username: str) -> str:
    return f"demo-{username}"


def seed(app: FastAPI, *, sample_dir: Path = SAMPLE_DATA) -> list[tuple[str, str, str]]:
    """Create the demo records; returns ``(username, password, role)`` for every demo login."""
    logins = []
    with app.state.session_factory() as s:
        if s.scalar(select(Jurisdiction).where(Jurisdiction.code == "NORTH")) is not None:
            users = s.scalars(select(User).order_by(User.id)).all()
            return [(u.username, demo_password(u.username), u.role.value) for u in users]
        users: dict[tuple[str, Role], User] = {}
        for code, name, partner, map_region in JURISDICTIONS:
            jur = Jurisdiction(code=code, name=name, is_partner=partner, map_region=map_region)
            s.add(jur)
            s.flush()
            agency = Agency(jurisdiction_id=jur.id, name=f"{name} forensic laboratory", kind="laboratory")
            s.add(agency)
            s.flush()
            for role in ROLES_PER_JURISDICTION[code]:
                username = f"{role.value}.{code.lower()}"
                user = User(
                    username=username,
                    full_name=f"Demo {role.value.replace('_', ' ')} ({code})",
                    hashed_password=hash_password(demo_password(username)),
                    role=role,
                    jurisdiction_id=jur.id,
                    agency_id=agency.id,
                )
                s.add(user)
                s.flush()
                users[(code, role)] = user
                logins.append((username, demo_password(username), role.value))
        audit.record(s, None, "demo.seed", "database", "", users=len(logins))
        s.commit()

        files = sorted(sample_dir.glob("*.x3p")) if sample_dir.is_dir() else []
        for i, path in enumerate(files):
            code = ("NORTH", "SOUTH")[i % 2]
            submitter = users[(code, Role.lab_submitter)]
            case = Case(
                jurisdiction_id=submitter.jurisdiction_id,
                reference=f"{code}-DEMO-{i + 1:03d}",
                title=f"Demo shooting {i + 1} ({path.stem})",
                created_by_id=submitter.id,
            )
            s.add(case)
            s.flush()
            audit.record(s, submitter, "create", "case", case.id, reference=case.reference, demo=True)
            gun = _demo_firearm(s, users, case) if i == 0 else None
            event = Event(case_id=case.id, kind=EventKind.seizure if gun else EventKind.shooting,
                          date_from=_demo_date(i), location="demo location")
            s.add(event)
            s.flush()
            exhibit = Exhibit(
                case_id=case.id, event_id=event.id, lab_number=f"LAB-{i + 1:04d}",
                kind=ExhibitKind.test_fire if gun else ExhibitKind.cartridge_case,
                firearm_id=gun.id if gun else None,
            )
            s.add(exhibit)
            s.commit()
            try:
                ingest_upload(
                    s,
                    app.state.engine,
                    app.state.settings,
                    user=submitter,
                    exhibit=exhibit,
                    data=path.read_bytes(),
                    filename=path.name,
                    instrument="",
                    region="breech_face",
                )
            except Exception as exc:  # one unreadable sample must not stop the demo
                log.warning("demo: could not ingest %s: %s", path.name, exc)
    return logins


def _demo_firearm(s, users, case: Case):
    """The first demo case is a seized pistol whose test fire is the first sample scan;
    its serial is on a demo lost-and-stolen register (an alert), a trace to the maker is
    overdue, one to the partner waits for its answer, and its seller is on record
    (personal data, need to know)."""
    from datetime import date

    from service.crud.firearms import register
    from service.crud.people import add_link
    from service.firearms.stolen import import_register
    from service.models import Person, PartyRole, TraceRequest, TraceTarget
    from service.schemas import FirearmCreate

    examiner = users[("NORTH", Role.examiner)]
    investigator = users[("NORTH", Role.investigator)]
    case.title = "Demo seizure: Ruger pistol, test-fired (Fadul 1-1)"
    import_register(s, None, "demo-iarms", (
        "make,model,calibre,serial,country,date_reported\n"
        "Ruger,P95,9x19mm,330-10-75,US,2021-06-14\n"
        "Beretta,92FS,9x19mm,BER-0424Z,IT,2022-01-09\n").encode(), filename="demo-iarms.csv", operator="demo")
    gun = register(s, examiner, case, FirearmCreate(
        kind="pistol", acquisition="seized", make="Ruger", model="P95", calibre="9x19mm", serial_number="330-1O-7S",
        country_of_manufacture="US", proof_marks="none visible", condition="working", location="demo location"))
    s.add(TraceRequest(firearm_id=gun.id, target=TraceTarget.manufacturer, addressee="Sturm, Ruger & Co.",
                       question="first retail sale of this serial?", deadline=date(2024, 3, 1),
                       created_by_id=examiner.id))
    # A trace to the foreign partner, for partner.partner to answer (GET /api/incoming-traces).
    partner = users[("PARTNER", Role.partner)]
    s.add(TraceRequest(firearm_id=gun.id, target=TraceTarget.partner_jurisdiction,
                       partner_jurisdiction_id=partner.jurisdiction_id, addressee="partner weapons registry",
                       question="any licence or transfer on record for this serial?", deadline=date(2999, 1, 1),
                       created_by_id=examiner.id))
    seller = Person(jurisdiction_id=investigator.jurisdiction_id, name="Demo Seller", nationality="XX",
                    retain_until=date(2031, 1, 1), created_by_id=investigator.id)
    s.add(seller)
    s.flush()
    add_link(s, investigator, seller, role=PartyRole.seller, case_id=case.id)
    add_link(s, investigator, seller, role=PartyRole.seller, firearm_id=gun.id)
    return gun


def _demo_date(i: int):
    from datetime import date, timedelta

    return date(2024, 1, 1) + timedelta(days=17 * i)


def print_logins(logins: list[tuple[str, str, str]], base: str) -> None:
    """How to sign in, for the person who just typed ``make run``."""
    print(f"\nDemo logins (demo mode only). Sign in with 'Authorize' on {base}/docs or:", flush=False)
    for username, password, role in logins:
        print(f"  {username:24s} password: {password:30s} role: {role}")
    if logins:
        user, pw, _ = next((x for x in logins if x[2] == "examiner"), logins[0])
        print(f"  curl -s -d 'username={user}&password={pw}' {base}/api/login/access-token\n", flush=True)
