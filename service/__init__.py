"""The Firearms Focal Point service: case records, uploads, correlation runs, leads and hits.

Laid out like FastAPI's full-stack template: ``core`` (settings, database, security),
``api`` (dependencies and one router per resource), ``models`` and ``schemas``,
``crud`` (queries that enforce jurisdiction visibility), ``audit`` (hash-chained log),
``jobs`` (background correlation runs), ``engine`` (the one place that calls
``ballistics_core``) and ``migrations`` (Alembic).
"""
