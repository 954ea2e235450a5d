"""All routers under /api."""

from fastapi import APIRouter

from service.api.types import AUTHENTICATED, errors

from service.api.routes import (
    audit,
    cases,
    disclosures,
    events,
    exhibits,
    firearms,
    hits,
    intel,
    jurisdictions,
    leads,
    login,
    partners,
    people,
    reports,
    reviews,
    runs,
    scans,
    tracing,
    users,
)

api_router = APIRouter()
for _module in (
    login, users, jurisdictions, cases, events, exhibits, firearms, scans, runs, reviews, leads, hits, disclosures, partners, tracing, people, intel, audit, reports
):
    # Every route is behind a token (401 without one, 403 for a missing scope) and
    # validates its input (422); each route declares its own further codes.
    api_router.include_router(_module.router, responses=errors(*AUTHENTICATED))
