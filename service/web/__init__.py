"""HTML pages for every role, served by the service itself (no separate front-end build).

``service.web.router`` holds the pages under ``/review``: sign-in and the language
choice, the examiner's review (runs, candidates, decisions, reports) and the lab
submitter's cases, events, exhibits and uploads, the analyst's intelligence products
(``service.web.analyst``), and what crosses borders on the owning or addressed side
(disclosure decisions, answers to trace requests, lost-and-stolen alerts:
``service.web.exchange``). Every page calls the API's own
route functions, in the language of its reader (``service.web.i18n``).
"""

from fastapi import APIRouter

from service.web import admin, analyst, exchange, investigator, oversight, pages, submitter

router = APIRouter()
router.include_router(pages.router)
router.include_router(submitter.router)
router.include_router(investigator.router)
router.include_router(oversight.router)
router.include_router(admin.router)
router.include_router(analyst.router)
router.include_router(exchange.router)

__all__ = ["router"]
