"""Database models, one module per resource family.

``from service.models import Case`` keeps working: every model and enum is
re-exported here. A newcomer finds a table by its family:

- :mod:`service.models.accounts`: jurisdictions, agencies, users and roles
- :mod:`service.models.cases`: cases, events, exhibits (ammunition too), custody
- :mod:`service.models.firearms`: firearms, their life cycle, corrections, photos,
  destruction approvals and linked cases
- :mod:`service.models.tracing`: trace requests and documents, lost-and-stolen
  registers and the alerts their matches raise, disclosures of a gun record to a
  partner whose serial query hit it
- :mod:`service.models.people`: people and organisations and their roles, under the
  Law Enforcement Directive's rules
- :mod:`service.models.matching`: scans, correlation runs, candidates, reviews
- :mod:`service.models.leads`: leads, hits, disclosures
- :mod:`service.models.audit`: the rows of the hash-chained audit trail
"""

from service.models.base import UTCDateTime, str_enum, utcnow
from service.models.accounts import Agency, Jurisdiction, LoginFailure, RefreshToken, Role, User
from service.models.cases import Case, CustodyEvent, Event, EventKind, Exhibit, ExhibitKind, LocationPrecision
from service.models.matching import Candidate, CorrelationRun, Review, ReviewDecision, RunStatus, ScanRecord
from service.models.leads import Disclosure, DisclosureStatus, Hit, Lead, LeadState
from service.models.audit import AuditEntry, AuditHead
from service.models.firearms import (
    DestructionRequest, DestructionState, Firearm, FirearmAcquisition, FirearmCaseLink, FirearmEvent, FirearmPhoto,
    FirearmRevision, FirearmStatus, FirearmType,
)
from service.models.tracing import (
    FirearmDisclosure, StolenAlert, StolenEntry, StolenImport, TraceDocument, TraceRequest, TraceStatus, TraceTarget,
)
from service.models.people import PERSONAL_FIELDS, PartyKind, PartyRole, Person, PersonLink

__all__ = [
    "Agency", "AuditEntry", "AuditHead", "Candidate", "Case", "CorrelationRun", "CustodyEvent", "Disclosure",
    "DisclosureStatus", "Event", "EventKind", "Exhibit", "ExhibitKind", "Hit", "Jurisdiction", "Lead", "LeadState",
    "LocationPrecision", "LoginFailure", "RefreshToken", "Review", "ReviewDecision", "Role", "RunStatus", "ScanRecord", "User", "UTCDateTime",
    "str_enum", "utcnow",
    "DestructionRequest", "DestructionState", "Firearm", "FirearmAcquisition", "FirearmCaseLink", "FirearmEvent",
    "FirearmPhoto", "FirearmRevision", "FirearmStatus", "FirearmType",
    "FirearmDisclosure", "StolenAlert", "StolenEntry", "StolenImport", "TraceDocument", "TraceRequest", "TraceStatus", "TraceTarget",
    "PERSONAL_FIELDS", "PartyKind", "PartyRole", "Person", "PersonLink",
]
