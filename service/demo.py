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

JURISDICTIONS = [
    ("NORTH", "Northshire Constabulary", False),
    ("SOUTH", "Southvale Police Service", False),
    ("PARTNER", "Foreign partner (Prüm-style exchange)", True),
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
        for code, name, partner in JURISDICTIONS:
            jur = Jurisdiction(code=code, name=name, is_partner=partner)
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
            event = Event(case_id=case.id, kind=EventKind.shooting, date_from=_demo_date(i), location="demo location")
            s.add(event)
            s.flush()
            exhibit = Exhibit(
                case_id=case.id, event_id=event.id, kind=ExhibitKind.cartridge_case, lab_number=f"LAB-{i + 1:04d}"
            )
            s.add(exhibit)
            audit.record(s, submitter, "create", "case", case.id, reference=case.reference, demo=True)
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
