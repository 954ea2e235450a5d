"""What every model module shares: UTC timestamps and enums stored as plain strings."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator

from service.core.db import Base

__all__ = ["Base", "UTCDateTime", "str_enum", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on the way out, also from SQLite (which drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK, so PostgreSQL needs no enum types in migrations.
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e], length=24)
