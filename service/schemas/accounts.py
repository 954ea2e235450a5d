"""Login tokens, jurisdictions, agencies and users."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.models import Role
from service.api.types import BodyId, JsonBool, OptionalBodyId
from service.schemas.base import Input, Patch, Public


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    #: Seconds the access token lives; renew it with the refresh token before then.
    expires_in: int
    refresh_token: str
    scopes: list[str]


class RefreshRequest(Input):
    refresh_token: str = Field(min_length=1, max_length=200)


# --- jurisdictions, agencies, users -------------------------------------------------


class JurisdictionCreate(Input):
    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    is_partner: JsonBool = False


class JurisdictionPublic(Public):
    id: int
    code: str
    name: str
    is_partner: bool


class AgencyCreate(Input):
    jurisdiction_id: BodyId
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="police", min_length=1, max_length=40)


class AgencyPublic(Public):
    id: int
    jurisdiction_id: int
    name: str
    kind: str


class UserCreate(Input):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=12, max_length=200)
    full_name: str = Field(default="", max_length=200)
    role: Role
    jurisdiction_id: BodyId
    agency_id: OptionalBodyId = None


class UserUpdate(Patch):
    full_name: str = Field(default=None, max_length=200)
    password: str = Field(default=None, min_length=12, max_length=200)
    role: Role = None
    is_active: JsonBool = None


class UserPublic(Public):
    id: int
    username: str
    full_name: str
    role: Role
    jurisdiction_id: int
    agency_id: int | None
    is_active: bool
