"""Lost-and-stolen registers: CSV import (a national register, or an export shaped like
INTERPOL's iARMS) and the serial-number checks that raise alerts.

The CSV needs a header row. Columns are matched by name, case-insensitively:
``make``, ``model``, ``calibre`` (or ``caliber``), ``serial`` (or ``serial_number``),
``country``, ``date_reported`` (or ``date reported``, ``reported``). ``serial`` and
``date_reported`` are required, the others may be empty. Dates are ISO
(``2024-03-01``) or day first (``01/03/2024``).

An import is all or nothing: every row is checked before anything is written, and a
file with any broken row is refused with the row number and the reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import audit
from service.firearms.serials import SerialError, normalise
from service.intel.words import N_, Phrase
from service.models import Firearm, StolenAlert, StolenEntry, StolenImport, User

COLUMNS = {
    "make": "make", "manufacturer": "make",
    "model": "model",
    "calibre": "calibre", "caliber": "calibre",
    "serial": "serial", "serial_number": "serial", "serial number": "serial", "serial no": "serial",
    "country": "country",
    "date_reported": "date_reported", "date reported": "date_reported", "reported": "date_reported",
}
REQUIRED = ("serial", "date_reported")
MAX_ROWS = 1_000_000
LIMITS = {"make": 120, "model": 120, "calibre": 40, "country": 80}


class RegisterError(ValueError):
    """A register file that cannot be imported; the message names the row and the reason.

    Kept as a :class:`Phrase` (a page says it in its reader's language) and, where the
    cause is another reader's own words (the CSV reader's, the serial rules'), that text
    after it as ``technical``; ``str()`` is the English sentence, as it always was."""

    def __init__(self, message: str, *, technical: str = "", **values):
        self.phrase = Phrase.of(message, **values)
        self.technical = technical
        english = self.phrase.render()
        super().__init__(f"{english} {technical}" if technical else english)


class _RowProblem(ValueError):
    """Why one row is refused: a phrase, or the serial rules' own words."""

    def __init__(self, message: str, *, technical: str = "", **values):
        self.phrase = Phrase.of(message, **values)
        self.technical = technical
        super().__init__(message)


@dataclass(frozen=True)
class Row:
    row_number: int
    make: str
    model: str
    calibre: str
    serial_number: str
    serial_normalised: str
    country: str
    date_reported: date


def _date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise _RowProblem(N_("date_reported %(value)s is not a date (YYYY-MM-DD or DD/MM/YYYY)"), value=repr(text))


def parse(data: bytes) -> list[Row]:
    """Every row of a register file, checked; raises :class:`RegisterError` on the first broken row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegisterError(N_("the file is not UTF-8 text (byte %(byte)s)"), byte=exc.start) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RegisterError(N_("the file is empty: a header row is needed")) from None
    except csv.Error as exc:
        raise RegisterError(N_("row %(row)s:"), row=1, technical=str(exc)) from None
    names = [COLUMNS.get(h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise RegisterError(N_("row %(row)s: the header lacks the column(s) %(missing)s (found: %(found)s)"), row=1,
                            missing=", ".join(missing), found=", ".join(h.strip() for h in header))
    rows: list[Row] = []
    try:
        for values in reader:
            n = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank line
            if len(values) != len(header):
                raise RegisterError(N_("row %(row)s: %(n)s fields where the header has %(m)s"), row=n, n=len(values),
                                    m=len(header))
            rec = {name: v.strip() for name, v in zip(names, values) if name}
            try:
                if not rec.get("serial"):
                    raise _RowProblem(N_("the serial is empty"))
                try:
                    normal = normalise(rec["serial"])
                except SerialError as exc:
                    raise _RowProblem("", technical=str(exc)) from None
                if not rec.get("date_reported"):
                    raise _RowProblem(N_("date_reported is empty"))
                reported = _date(rec["date_reported"])
                for field, limit in LIMITS.items():
                    if len(rec.get(field, "")) > limit:
                        raise _RowProblem(N_("%(field)s is longer than %(limit)s characters"), field=field,
                                          limit=limit)
            except _RowProblem as exc:
                if exc.technical:
                    raise RegisterError(N_("row %(row)s:"), row=n, technical=exc.technical) from None
                raise RegisterError(N_("row %(row)s: %(reason)s"), row=n, reason=exc.phrase) from None
            rows.append(Row(n, rec.get("make", ""), rec.get("model", ""), rec.get("calibre", ""),
                            rec["serial"][:80], normal, rec.get("country", ""), reported))
            if len(rows) > MAX_ROWS:
                raise RegisterError(N_("more than %(n)s rows"), n=MAX_ROWS)
    except csv.Error as exc:
        raise RegisterError(N_("row %(row)s:"), row=reader.line_num, technical=str(exc)) from None
    return rows


def _makes_agree(a: str, b: str) -> bool:
    a, b = a.strip().lower(), b.strip().lower()
    return not a or not b or a in b or b in a


def current_entries(session: Session, serial_normalised: str) -> list[StolenEntry]:
    """Entries of the newest import of every register with this serial."""
    newest = select(func.max(StolenImport.id)).group_by(StolenImport.register_name)
    return list(session.scalars(select(StolenEntry).where(
        StolenEntry.serial_normalised == serial_normalised, StolenEntry.import_id.in_(newest))
        .order_by(StolenEntry.id)))


def _raise_alert(session: Session, user: User | None, firearm: Firearm, entry: StolenEntry) -> StolenAlert | None:
    register = entry.source.register_name
    exists = session.scalar(select(StolenAlert.id).join(StolenEntry, StolenAlert.entry_id == StolenEntry.id).where(
        StolenAlert.firearm_id == firearm.id, StolenAlert.register_name == register,
        StolenEntry.serial_normalised == entry.serial_normalised))
    if exists is not None:
        return None  # this gun was already flagged against this register
    alert = StolenAlert(firearm_id=firearm.id, case_id=firearm.case_id, entry_id=entry.id, register_name=register,
                        make_agrees=_makes_agree(firearm.make, entry.make))
    session.add(alert)
    session.flush()
    audit.record(session, user, "alert", "stolen_alert", alert.id, firearm_id=firearm.id, case_id=firearm.case_id,
                 register=register, entry_id=entry.id)
    return alert


def check_firearm(session: Session, user: User | None, firearm: Firearm) -> list[StolenAlert]:
    """Run when a gun is registered or its serial corrected."""
    if not firearm.serial_normalised:
        return []
    return [a for e in current_entries(session, firearm.serial_normalised)
            if (a := _raise_alert(session, user, firearm, e)) is not None]


def import_register(session: Session, user: User | None, register: str, data: bytes, *, filename: str = "",
                    operator: str = "") -> tuple[StolenImport, list[StolenAlert]]:
    """Parse, store as the register's newest import and check every registered gun against it.

    Nothing is written when the file has a broken row (:class:`RegisterError`); the
    caller commits.
    """
    register = register.strip()
    if not register or len(register) > 80:
        raise RegisterError("the register needs a name of 1 to 80 characters")
    rows = parse(data)
    imp = StolenImport(register_name=register, filename=filename[:300], sha256=hashlib.sha256(data).hexdigest(),
                       rows=len(rows), imported_by=(user.username if user else operator)[:80])
    session.add(imp)
    session.flush()
    session.add_all([StolenEntry(import_id=imp.id, row_number=r.row_number, make=r.make, model=r.model,
                                 calibre=r.calibre, serial_number=r.serial_number,
                                 serial_normalised=r.serial_normalised, country=r.country,
                                 date_reported=r.date_reported) for r in rows])
    session.flush()
    audit.record(session, user, "import", "stolen_register", imp.id, register=register, sha256=imp.sha256,
                 rows=len(rows), filename=filename, operator=operator)
    serials = {r.serial_normalised for r in rows}
    alerts: list[StolenAlert] = []
    # The register may hold far more serials than a SQL IN list takes: match in memory.
    gun_ids = [fid for fid, sn in session.execute(select(Firearm.id, Firearm.serial_normalised)
                                                   .where(Firearm.serial_normalised != "")) if sn in serials]
    for fid in gun_ids:
        firearm = session.get(Firearm, fid)
        for entry in session.scalars(select(StolenEntry).where(
                StolenEntry.import_id == imp.id, StolenEntry.serial_normalised == firearm.serial_normalised)):
            if (a := _raise_alert(session, user, firearm, entry)) is not None:
                alerts.append(a)
    return imp, alerts
