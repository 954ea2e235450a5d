"""Bases of the schemas: ``Public`` (read straight from a model), ``Input`` (a request body,
NUL-free, refusing fields it does not know) and ``Patch`` (a partial update that refuses
nulls by name)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _nul_free(value: Any, where: str) -> None:
    """PostgreSQL text cannot hold NUL: refuse it by name instead of failing in the driver."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where or 'value'}: NUL characters are not allowed")
    elif isinstance(value, dict):
        for k, v in value.items():
            _nul_free(k, where)
            _nul_free(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _nul_free(v, f"{where}[{i}]")


class Input(BaseModel):
    """A request body: no NUL characters anywhere in it, and no field it does not define
    (a misspelt or unknown field is a 422 naming it, never silently dropped)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        _nul_free(data, "")
        return data


def _without_defaults(schema: dict[str, Any], cls: type) -> None:
    # A field left out of a patch has no default value: it means "unchanged".
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class Patch(Input):
    """A partial update: a field left out is unchanged; a field sent as null is refused
    (422 naming it) unless the column may be empty. ``model_dump(exclude_unset=True)``
    gives the changes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_without_defaults)
    #: Fields that may be set to null.
    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k, v in data.items() if v is None and k in cls.model_fields and k not in cls.nullable)
            if nulls:
                raise ValueError(f"{', '.join(nulls)}: may not be null (leave the field out to keep it unchanged)")
        return data
