"""Request and response bodies: separate Create / Update / Public shapes per resource,
one module per resource family (the same families as :mod:`service.models`:
accounts, cases, matching, leads, audit, firearms, tracing, people).

Every schema is re-exported here, so ``from service.schemas import CasePublic`` works.
"""

from service.schemas.base import Input, Patch, Public
from service.schemas.accounts import (
    AgencyCreate, AgencyPublic, JurisdictionCreate, JurisdictionPublic, JurisdictionUpdate, RefreshRequest, Token,
    UserCreate, UserPublic, UserUpdate,
)
from service.schemas.cases import (
    CaseCreate, CaseDetail, CasePublic, CaseRef, CaseUpdate, CustodyCreate, CustodyPublic, EventCreate, EventPublic,
    ExhibitCreate, ExhibitPublic, HitPublic, Turnaround, UrgencyUpdate,
)
from service.schemas.matching import (
    CandidatePublic, PartnerCandidate, PartnerRunResult, ReviewCreate, ReviewPublic, RunCreate, RunPublic, RunScope,
    ScanPublic, UploadResult,
)
from service.schemas.leads import (
    DisclosureCreate, DisclosureDecision, DisclosurePublic, LeadCreate, LeadPublic, LeadTransition,
)
from service.schemas.audit import AuditPublic, AuditVerify
from service.schemas.firearms import (
    DestructionCreate, DestructionDecision, DestructionPublic, FirearmCreate, FirearmEventCreate, FirearmEventPublic,
    FirearmLinkPublic, FirearmPhotoPublic, FirearmPublic, FirearmRevisionPublic, FirearmUpdate, SerialMatch,
    SerialSearchResult,
)
from service.schemas.tracing import (
    AlertAcknowledge, FirearmDisclosureCreate, FirearmDisclosureDecision, FirearmDisclosurePublic,
    IncomingTracePublic, RegisterImportResult, StolenAlertPublic, StolenImportPublic, TraceAnswer, TraceCreate,
    TraceDocumentPublic, TracedFirearm, TracePublic, TraceUpdate,
)
from service.schemas.people import (
    PersonCreate, PersonLinkCreate, PersonLinkPublic, PersonPublic, PersonWithLinks, RetentionResult, RetentionRun,
)

__all__ = [
    "AgencyCreate", "AgencyPublic", "AuditPublic", "AuditVerify", "CandidatePublic", "CaseCreate", "CaseDetail",
    "CasePublic", "CaseRef", "CaseUpdate", "CustodyCreate", "CustodyPublic", "DisclosureCreate", "DisclosureDecision",
    "DisclosurePublic", "EventCreate", "EventPublic", "ExhibitCreate", "ExhibitPublic", "HitPublic",
    "JurisdictionCreate", "JurisdictionPublic", "JurisdictionUpdate", "LeadCreate", "LeadPublic", "LeadTransition", "PartnerCandidate",
    "PartnerRunResult", "Public", "ReviewCreate", "ReviewPublic", "RunCreate", "RunPublic", "RunScope", "ScanPublic",
    "RefreshRequest", "Token", "Turnaround", "UrgencyUpdate", "UserCreate", "UserPublic", "UserUpdate",
    "DestructionCreate", "DestructionDecision", "DestructionPublic", "FirearmCreate", "FirearmEventCreate",
    "FirearmEventPublic", "FirearmLinkPublic", "FirearmPhotoPublic", "FirearmPublic", "FirearmRevisionPublic",
    "FirearmUpdate", "SerialMatch", "SerialSearchResult",
    "RegisterImportResult", "StolenAlertPublic", "StolenImportPublic", "TraceCreate", "TraceDocumentPublic",
    "TracePublic", "TraceUpdate", "AlertAcknowledge", "FirearmDisclosureCreate", "FirearmDisclosureDecision",
    "FirearmDisclosurePublic", "IncomingTracePublic", "TraceAnswer", "TracedFirearm",
    "PersonCreate", "PersonLinkCreate", "PersonLinkPublic", "PersonPublic", "PersonWithLinks", "RetentionResult",
    "RetentionRun",
]
