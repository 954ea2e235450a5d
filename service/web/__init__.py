"""HTML pages for examiners, served by the service itself (no separate front-end build).

``service.web.pages.router`` holds the pages under ``/review``: sign-in, the queue of
correlation runs, a run's ranked candidates, one candidate with its aligned figures,
decisions and the comparison report.
"""

from service.web.pages import router

__all__ = ["router"]
