"""Why a request is refused, kept as a message and its values (like ``service.intel.words``).

The API answers in English: a :class:`Refusal` is an ``HTTPException`` whose
``detail`` is the English sentence, exactly as clients read it. The pages call the
same functions, get the same exception, and say its :attr:`Refusal.reason` in the
reader's language (``service.web.render``: the ``refusal()`` template global). The
messages here are marked with :func:`N_` and extracted into the pages' catalog by
``service/web/catalog.py``, so the missing-translation test covers them.

A reason whose cause is technical text written elsewhere (the scan reader's, in
``ballistics_core``) gets a translated sentence saying what kind of problem it is,
and the reader's own words follow it, marked as English, as ``technical``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException

from service.intel.words import Phrase, Term


def N_(message: str) -> str:
    """Marks a message for extraction into the pages' catalog; translated when shown."""
    return message


@dataclass(frozen=True)
class Reason:
    """A refusal as a page says it: the phrase in the reader's language, then any English technical text."""

    phrase: Phrase
    technical: str = ""

    def __str__(self) -> str:
        return self.technical or self.phrase.render(term=_api_value)


def _api_value(value: str) -> str:
    # The API's English names API values as they are (``lab_submitter``), as it always did.
    return value


class Refusal(HTTPException):
    """An ``HTTPException`` whose reason a page can say in its reader's language."""

    def __init__(self, status_code: int, message: str, *, detail: str | None = None, technical: str = "",
                 headers: dict[str, str] | None = None, **values: Any):
        self.reason = Reason(Phrase.of(message, **values), technical)
        super().__init__(status_code, detail=detail if detail is not None else str(self.reason), headers=headers)


def reason_of(exc: HTTPException) -> "Reason | str":
    """What a page shows for a refusal: the structured reason, or the detail (English) as it is."""
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, Reason) else str(exc.detail)


# --- the reasons a page's user meets --------------------------------------------------------

def csrf_refused() -> Refusal:
    return Refusal(403, N_("the form's security token is missing or out of date: reload the page and try again"))


def cross_origin() -> Refusal:
    return Refusal(403, N_("cross-origin form post refused"))


def role_lacks(role: str, scope: str) -> Refusal:
    return Refusal(403, N_("your role (%(role)s) lacks %(scope)s"), role=Term(role), scope=scope)


# One message per thing (the words for "not found" agree with the noun in the region's
# languages); anything else falls back to the general one with the API's noun.
NOT_FOUND: dict[str, str] = {
    "alert": N_("alert not found"),
    "candidate": N_("candidate not found"),
    "case": N_("case not found"),
    "destruction request": N_("destruction request not found"),
    "disclosure": N_("disclosure not found"),
    "exhibit": N_("exhibit not found"),
    "firearm": N_("firearm not found"),
    "firearm disclosure": N_("firearm disclosure not found"),
    "hit": N_("hit not found"),
    "lead": N_("lead not found"),
    "person": N_("person not found"),
    "run": N_("run not found"),
    "scan": N_("scan not found"),
    "trace request": N_("trace request not found"),
    "user": N_("user not found"),
    "report": N_("report not found"),
    "figure": N_("figure not found"),
}


def not_found(what: str) -> Refusal:
    if what in NOT_FOUND:
        return Refusal(404, NOT_FOUND[what])
    return Refusal(404, N_("%(what)s not found"), what=what)


def duplicate_upload(existing_id: int | None) -> Refusal:
    if existing_id:
        return Refusal(409, N_("this file was already uploaded as scan %(id)s"), id=existing_id)
    return Refusal(409, N_("this file was already uploaded"))


def empty_upload() -> Refusal:
    return Refusal(422, N_("the uploaded file is empty"))


def upload_too_large(limit: int) -> Refusal:
    return Refusal(413, N_("file exceeds %(limit)s bytes"), limit=limit)


def scan_unreadable(exc: Exception) -> Refusal:
    """The scan reader's refusal: the API's detail is the reader's own sentence, unchanged."""
    from ballistics_core.errors import ScanContentError, ScanFormatError

    if isinstance(exc, ScanFormatError):
        message = N_("the file could not be read as a scan (corrupt, unsupported, or in unknown units):")
    elif isinstance(exc, ScanContentError):
        message = N_("the scan was read but holds nothing usable (empty, no valid points, or too small):")
    else:
        message = N_("the scan could not be signed:")
    return Refusal(422, message, detail=str(exc), technical=str(exc))


def cannot_compare(exc: Exception) -> Refusal:
    """The engine could not compare a pair again (a signature gone, parameters that differ)."""
    return Refusal(409, N_("this pair cannot be compared again:"), detail=f"cannot compare this pair: {exc}",
                   technical=str(exc))


def unknown_language(code: str) -> Refusal:
    return Refusal(422, N_("unknown language %(lang)s"), lang=repr(code))


def fields_refused(fields: list[str], technical: str) -> Refusal:
    """A form whose fields the schema refused (too long, not a number): the fields named,
    the schema's own explanation after it as technical English."""
    return Refusal(422, N_("the request was not accepted; check these fields: %(fields)s."), fields=field_list(fields),
                   detail=technical, technical=technical)


def schema_refused(exc) -> Refusal:
    """A form value the API's schema refuses (a pydantic ``ValidationError``): the API's
    reasons as its detail, the fields named in the reader's language on a page."""
    errors = exc.errors()
    fields = [".".join(str(p) for p in e["loc"]) or "–" for e in errors]
    technical = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
    return fields_refused(list(dict.fromkeys(fields)), technical)


def credentials_invalid(headers: dict[str, str]) -> Refusal:
    return Refusal(401, N_("could not validate credentials"), headers=headers)


def agency_outside_jurisdiction(yours: bool) -> Refusal:
    if yours:
        return Refusal(422, N_("agency does not belong to your jurisdiction"))
    return Refusal(422, N_("agency does not belong to the jurisdiction"))


def unknown_jurisdiction() -> Refusal:
    return Refusal(422, N_("unknown jurisdiction"))


# Leads and disclosures: a step the workflow does not allow from where the record stands.

def lead_cannot_become(state: str, to: str) -> Refusal:
    return Refusal(409, N_("a %(state)s lead cannot become %(to)s"), state=Term(state), to=Term(to))


def lead_needs_review() -> Refusal:
    return Refusal(409, N_("confirming a lead needs an examiner's review of its candidate (review_id)"))


def lead_needs_identification() -> Refusal:
    return Refusal(409, N_("confirming a lead needs an identification recorded by an examiner"))


def lead_no_case_record() -> Refusal:
    return Refusal(409, N_("the candidate has no case record here to link to"))


def lead_same_case() -> Refusal:
    return Refusal(409, N_("the candidate belongs to the same case"))


def lead_not_yours() -> Refusal:
    return Refusal(403, N_("only the jurisdiction that raised a lead moves it on"))


def hit_cases_yours() -> Refusal:
    return Refusal(409, N_("both cases of this hit are already yours"))


def disclosure_requested(existing_id: int) -> Refusal:
    return Refusal(409, N_("disclosure %(id)s was already requested for this hit"), id=existing_id)


def disclosure_decided(status: str) -> Refusal:
    return Refusal(409, N_("disclosure is already %(status)s"), status=Term(status))


def firearm_disclosure_decided(status: str) -> Refusal:
    return Refusal(409, N_("firearm disclosure is already %(status)s"), status=Term(status))


def gun_is_yours() -> Refusal:
    return Refusal(409, N_("this gun is your own jurisdiction's record"))


def destruction_needs_second_person() -> Refusal:
    return Refusal(403, N_("destruction needs a second person: the requester cannot decide their own request"))


def destruction_pending(request_id: int) -> Refusal:
    return Refusal(409, N_("destruction request %(id)s is already waiting for approval"), id=request_id)


def duplicate_photo() -> Refusal:
    return Refusal(409, N_("this photo was already uploaded"))


def partner_not_other() -> Refusal:
    return Refusal(422, N_("partner_jurisdiction_id names no other jurisdiction"))


# People (``service.crud.people``, ``service.api.routes.people``).

def link_outside_jurisdiction(field: str) -> Refusal:
    message = {
        "case_id": N_("case_id names no case of your jurisdiction"),
        "event_id": N_("event_id names no event of your jurisdiction"),
        "firearm_id": N_("firearm_id names no firearm of your jurisdiction"),
    }[field]
    return Refusal(422, message)


def as_of_in_future() -> Refusal:
    return Refusal(422, N_("as_of cannot be a later day than today"))


def duplicate_case_reference() -> Refusal:
    return Refusal(409, N_("a case with this reference already exists"))


def duplicate_lab_number() -> Refusal:
    return Refusal(409, N_("lab number already used in this case"))


def username_taken() -> Refusal:
    return Refusal(409, N_("username already taken"))


def self_demotion() -> Refusal:
    return Refusal(409, N_("administrators cannot deactivate or demote themselves"))


# The password policy's reasons (``service.core.passwords``), as phrases.

def password_too_short(n: int) -> Phrase:
    return Phrase.of(N_("the password must have at least %(n)s characters"), n=n)


def password_too_long(n: int) -> Phrase:
    return Phrase.of(N_("the password must have at most %(n)s characters"), n=n)


def password_nul() -> Phrase:
    return Phrase.of(N_("the password may not contain NUL characters"))


def password_is_username() -> Phrase:
    return Phrase.of(N_("the password may not be the username"))


def password_repeated() -> Phrase:
    return Phrase.of(N_("the password may not be a short pattern repeated"))


def password_common() -> Phrase:
    return Phrase.of(N_("the password is on the list of commonly used passwords"))


def password_refused(problem: Phrase) -> Refusal:
    return Refusal(422, problem.msg, **dict(problem.args))


# Firearms (``service.crud.firearms``): one message per final step, as the words agree with it.

def _final_step(messages: dict[str, str], key: str, english: str) -> HTTPException:
    # The steps a record can end with are those named; another would be said as the API says it.
    return Refusal(409, messages[key]) if key in messages else HTTPException(409, detail=english)


def firearm_final(status: str) -> HTTPException:
    return _final_step({
        "returned": N_("this firearm was returned; its record takes no further steps"),
        "destroyed": N_("this firearm was destroyed; its record takes no further steps"),
    }, status, f"this firearm was {status}; its record takes no further steps")


def firearm_already(status: str) -> HTTPException:
    return _final_step({
        "returned": N_("this firearm was already returned"),
        "destroyed": N_("this firearm was already destroyed"),
    }, status, f"this firearm was already {status}")


def exhibit_already(action: str) -> HTTPException:
    return _final_step({
        "returned": N_("this exhibit was already returned"),
        "destroyed": N_("this exhibit was already destroyed"),
    }, action, f"this exhibit was already {action}")


def destruction_needs_approval(firearm_id: int) -> Refusal:
    return Refusal(409, N_("destruction needs a second person's approval: POST /api/firearms/%(id)s/destruction-requests "
                           "and have another person approve it"), id=firearm_id)


def firearm_recovered_once() -> Refusal:
    return Refusal(422, N_("a firearm is recovered once, when it is registered"))


def destruction_decided(state: str) -> HTTPException:
    return _final_step({
        "approved": N_("destruction request is already approved"),
        "refused": N_("destruction request is already refused"),
    }, state, f"destruction request is already {state}")


def serial_refused(exc: Exception) -> Refusal:
    """The serial-number rules' refusal (``service.firearms.serials``): its own words, marked English."""
    return Refusal(422, N_("the serial number is not accepted:"), detail=str(exc), technical=str(exc))


def serial_empty() -> Refusal:
    return Refusal(422, N_("the serial number is empty"))


# Partners, disclosures, tracing and the lost-and-stolen registers.

def trace_not_open(trace_id: int, status: str) -> Refusal:
    return Refusal(409, N_("trace request %(id)s is %(status)s; the requesting side may reopen it"),
                   id=trace_id, status=Term(status))


def firearm_disclosure_requested(existing_id: int, status: str) -> Refusal:
    return Refusal(409, N_("firearm disclosure %(id)s was already requested for this gun (%(status)s)"),
                   id=existing_id, status=Term(status))


def gun_disclosure_requested() -> Refusal:
    return Refusal(409, N_("a disclosure of this gun was already requested"))


def gun_disclosure_not_yours() -> Refusal:
    return Refusal(403, N_("only the jurisdiction that holds the gun record decides its disclosure"))


def case_disclosure_not_yours() -> Refusal:
    return Refusal(403, N_("only the jurisdiction that owns the case decides its disclosure"))


def alert_acknowledged(alert_id: int, at) -> Refusal:
    # The API's detail keeps the ISO timestamp; a page says the moment in its reader's locale.
    return Refusal(409, N_("alert %(id)s was already acknowledged at %(at)s"), id=alert_id, at=at)


def register_refused(filename: str, exc: Exception) -> Refusal:
    """A register file that cannot be imported (``service.firearms.stolen.RegisterError``):
    the row and the reason in the reader's language; the API's detail as before."""
    phrase = getattr(exc, "phrase", None)
    detail = f"{filename or 'register'}: {exc}"
    technical = getattr(exc, "technical", "")
    if phrase is None:
        return Refusal(422, N_("the register file was not accepted:"), detail=detail, technical=str(exc))
    return Refusal(422, N_("%(file)s: %(reason)s"), file=filename or Phrase.of(N_("register")), reason=phrase,
                   detail=detail, technical=technical)


def missing_scope(scopes: list[str], headers: dict[str, str] | None = None) -> Refusal:
    return Refusal(403, N_("missing scope: %(scopes)s"), scopes=" ".join(scopes), headers=headers)


# The pages' own checks of a form or a product's filters.

FIELD_LABELS: dict[str, str] = {
    "answer": N_("answer"),
    "answer_status": N_("answer"),
    "calibre": N_("calibre"),
    "candidate_id": N_("candidate"),
    "case_id": N_("case"),
    "code": N_("code"),
    "date_from": N_("from (date)"),
    "date_to": N_("to (date)"),
    "decision": N_("decision"),
    "description": N_("description"),
    "event_id": N_("event"),
    "firearm_id": N_("firearm"),
    "full_name": N_("full name"),
    "hit_id": N_("hit"),
    "jurisdiction_id": N_("jurisdiction"),
    "justification": N_("justification"),
    "kind": N_("type"),
    "lab_number": N_("lab number"),
    "latitude": N_("latitude"),
    "location": N_("location"),
    "longitude": N_("longitude"),
    "mode": N_("search mode"),
    "note": N_("note"),
    "notes": N_("notes"),
    "opaque_reference": N_("reference"),
    "password": N_("password"),
    "reason": N_("reason"),
    "reference": N_("case reference"),
    "region": N_("region of the cartridge case"),
    "review_id": N_("review"),
    "role": N_("role"),
    "serial": N_("serial number"),
    "serial_number": N_("serial number"),
    "title": N_("title"),
    "username": N_("username"),
}


def field_label(key: str) -> "Phrase | str":
    """A form field as its page calls it; a key with no label stays as it is."""
    return Phrase.of(FIELD_LABELS[key]) if key in FIELD_LABELS else key


def field_list(keys: list[str]) -> "Phrase | str":
    """Several fields named, each by its label, separated by commas."""
    if not keys:
        return ""
    return Phrase(", ".join(f"%(f{i})s" for i in range(len(keys))),
                  tuple((f"f{i}", field_label(k)) for i, k in enumerate(keys)))


def value_too_long(key: str, limit: int) -> Refusal:
    return Refusal(422, N_("%(field)s: at most %(n)s characters"), field=field_label(key), n=limit,
                   detail=f"{key}: at most {limit} characters")


def not_one_of(key: str, allowed, given: str) -> Refusal:
    return Refusal(422, N_("%(field)s: one of %(allowed)s, not %(given)s"), field=field_label(key),
                   allowed=", ".join(allowed), given=repr(given),
                   detail=f"{key}: one of {', '.join(allowed)}, not {given!r}")


def decision_unknown(given: str) -> Refusal:
    return Refusal(422, N_("the decision must be to approve or to refuse, not %(given)s"), given=repr(given),
                   detail=f"decision: one of approve, refuse, not {given!r}")


def justification_needed() -> Refusal:
    return Refusal(422, N_("justification: give the reason the case is needed"))


def scan_region_unknown(region: str) -> Refusal:
    return Refusal(422, N_("the region of the cartridge case is not one this service reads: %(region)s"),
                   region=repr(region), detail=f"region: unknown region {region!r}")


def page_not_found() -> Refusal:
    return Refusal(404, N_("not found"))


# A correlation run's stored failure (``service.jobs``): the kinds known here said in the
# reader's language, the worker's own text after them as English; anything else as stored.

RUN_FAILURES: dict[str, str] = {
    "BallisticsError": N_("the engine could not run the search:"),
    "ScanFormatError": N_("the file could not be read as a scan (corrupt, unsupported, or in unknown units):"),
    "ScanContentError": N_("the scan was read but holds nothing usable (empty, no valid points, or too small):"),
    "MemoryError": N_("the worker ran out of memory:"),
    "TimeoutError": N_("the search took too long:"),
    "FileNotFoundError": N_("a file the run needs is missing:"),
    "OSError": N_("a file the run needs could not be read or written:"),
    "PermissionError": N_("a file the run needs could not be read or written:"),
    "ConnectionError": N_("the worker could not reach a service it needs:"),
}


def run_failure(text: str) -> "Reason | str":
    import re

    text = text or ""
    m = re.fullmatch(r"abandoned: the worker executing it stopped (\d+) times", text)
    if m:
        return Reason(Phrase.of(N_("abandoned: the worker executing it stopped %(n)s times"), n=int(m.group(1))))
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:: (.*))?", text, flags=re.S)
    if m and m.group(1) in RUN_FAILURES:
        if m.group(2):
            return Reason(Phrase.of(RUN_FAILURES[m.group(1)]), m.group(2))
        return Reason(Phrase.of(RUN_FAILURES[m.group(1)]), m.group(1))
    return text
