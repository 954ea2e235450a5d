"""Login tokens, jurisdictions, agencies and users."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.models import Role
from service.schemas.base import Public


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    scopes: list[str]


# --- jurisdictions, agencies, users -------------------------------------------------


class JurisdictionCreate(BaseModel):
    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    is_partner: bool = False


class JurisdictionPublic(Public):
    id: int
    code: str
    name: str
    is_partner: bool


class AgencyCreate(BaseModel):
    jurisdiction_id: int
    name: str = Field(min_length=1, max_length=200)
    kind: str = "police"


class AgencyPublic(Public):
    id: int
    jurisdiction_id: int
    name: str
    kind: str


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=12, max_length=200)
    full_name: str = ""
    role: Role
    jurisdiction_id: int
    agency_id: int | None = None


class UserUpdate(BaseModel):
    full_name: str | None = None
    password: str | None = Field(default=None, min_length=12, max_length=200)
    role: Role | None = None
    is_active: bool | None = None


class UserPublic(Public):
    id: int
    username: str
    full_name: str
    role: Role
    jurisdiction_id: int
    agency_id: int | None
    is_active: bool
