"""The base of every response schema that is read straight from a model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)
