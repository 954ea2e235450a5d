"""All routers under /api."""

from fastapi import APIRouter

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
    login, users, jurisdictions, cases, events, exhibits, firearms, scans, runs, reviews, leads, hits, disclosures, tracing, people, intel, audit, reports
):
    api_router.include_router(_module.router)
