"""Who is asking: the caller's jurisdiction and role decide what each product shows.

The rule is the service's own (``service.crud.access``): a caller sees the details of
their own jurisdiction's cases and of cases another jurisdiction has disclosed to
them; every other case appears only as its jurisdiction code and an opaque reference,
with its events' places coarsened. A partner jurisdiction's callers follow the same
rule, so they never see another jurisdiction's case details.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from service.core.config import Settings
from service.core.security import ROLE_SCOPES
from service.crud.access import disclosed_case_ids, opaque_reference, sees_only_hit_no_hit
from service.crud.firearms import disclosed_firearm_ids
from service.models import Role, User

# Products are built from hits; a role that may not read hits gets no product.
REQUIRED_SCOPE = "hits:read"


class ScopeError(PermissionError):
    """The caller's role may not receive intelligence products."""


@dataclass(frozen=True)
class Scope:
    """The caller as the intelligence functions see them.

    Parameters
    ----------
    jurisdiction_id
        The caller's jurisdiction.
    role
        The caller's role.
    partner
        True for a foreign partner (role or jurisdiction): hit / no-hit with opaque
        references outside their own jurisdiction.
    disclosed
        Other jurisdictions' case ids whose disclosure to this jurisdiction was approved.
    disclosed_firearms
        Other jurisdictions' firearm record ids disclosed to this jurisdiction after a
        serial query (the gun in detail, its case still opaque).
    settings
        The deployment's settings; opaque references are keyed with its secret.
    user_id, username
        Recorded with stored reports.
    """

    jurisdiction_id: int
    role: Role
    partner: bool
    settings: Settings = field(repr=False, compare=False)
    disclosed: frozenset[int] = frozenset()
    user_id: int | None = None
    username: str = ""
    disclosed_firearms: frozenset[int] = frozenset()

    @classmethod
    def for_user(cls, session: Session, settings: Settings, user: User) -> "Scope":
        if REQUIRED_SCOPE not in ROLE_SCOPES.get(user.role, []):
            raise ScopeError(f"role {user.role.value} may not receive intelligence reports")
        return cls(
            jurisdiction_id=user.jurisdiction_id,
            role=user.role,
            partner=sees_only_hit_no_hit(session, user),
            settings=settings,
            disclosed=frozenset(disclosed_case_ids(session, user.jurisdiction_id)),
            user_id=user.id,
            username=user.username,
            disclosed_firearms=frozenset(disclosed_firearm_ids(session, user.jurisdiction_id)),
        )

    def sees_case(self, case_id: int, jurisdiction_id: int) -> bool:
        """Whether the case's details (reference, title, exact places) are shown."""
        return jurisdiction_id == self.jurisdiction_id or case_id in self.disclosed

    def case_ref(self, case_id: int) -> str:
        return opaque_reference(self.settings, case_id)

    def _token(self, prefix: str, text: str) -> str:
        digest = hmac.new(self.settings.secret.encode(), text.encode(), hashlib.sha256).hexdigest()
        return f"{prefix}-{digest[:16].upper()}"

    def event_ref(self, event_id: int) -> str:
        return self._token("EVT", f"event:{event_id}")

    def firearm_ref(self, firearm: str) -> str:
        return self._token("FA", f"firearm:{firearm}")

    def series_key(self, smallest_case_id: int) -> str:
        # Keyed on the series' oldest case, so the key survives the series growing.
        return self._token("SER", f"series:{smallest_case_id}")

    def describe(self) -> dict:
        return {
            "jurisdiction_id": self.jurisdiction_id,
            "role": self.role.value,
            "partner": self.partner,
            "username": self.username,
        }
