"""Signature store: sharded HDF5 segments behind an atomically replaced manifest.

See :mod:`ballistics_core.store.schema` for the layout and why a killed writer
loses nothing already committed.
"""

from ballistics_core.store.schema import FILTER_FIELDS, SCHEMA_VERSION
from ballistics_core.store.segment import StoredRecord
from ballistics_core.store.store import AddReport, Location, SignatureStore, StoreError

__all__ = ["SignatureStore", "StoredRecord", "AddReport", "Location", "StoreError", "SCHEMA_VERSION", "FILTER_FIELDS"]
