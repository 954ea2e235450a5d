"""Login tokens, jurisdictions, agencies and users."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field, field_validator

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


def _map_region(value: str | None) -> str | None:
    """An area of the shipped map outlines by its ISO alpha-2 code; empty means none."""
    if value is None or not value.strip():
        return None
    from service.intel.geo import region_codes  # the outlines are read only when a region is given

    code = value.strip().upper()
    if code not in region_codes():
        raise ValueError(f"map_region: {value!r} is none of the map's areas ({', '.join(region_codes())})")
    return code


class JurisdictionCreate(Input):
    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    is_partner: JsonBool = False
    #: The area of the events map the jurisdiction is drawn as (ISO alpha-2 of the shipped outlines).
    map_region: str | None = Field(default=None, max_length=8)

    @field_validator("map_region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        return _map_region(v)


class JurisdictionUpdate(Patch):
    name: str = Field(default=None, min_length=1, max_length=200)
    #: null or "" takes the jurisdiction off the map (unless its code or name is a country's).
    map_region: str | None = Field(default=None, max_length=8)
    nullable: ClassVar[frozenset[str]] = frozenset({"map_region"})

    @field_validator("map_region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        return _map_region(v)


class JurisdictionPublic(Public):
    id: int
    code: str
    name: str
    is_partner: bool
    map_region: str | None = None


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
