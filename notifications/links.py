"""Where links in messages point: the public base URL of the help desk.

settings.SITE_URL when it is set (production, `make run`, workers). In development (DEBUG) with
no SITE_URL, the first request served tells us where the app runs, so a sign-up link mailed by
`runserver 0.0.0.0:8811` opens; a warning says so. Links are only ever built here.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

FALLBACK = "http://127.0.0.1:8000"
_learned = ""


def site_url() -> str:
    """The base URL for absolute links, without a trailing slash."""
    return (settings.SITE_URL or "").rstrip("/") or _learned or FALLBACK


def absolute_url(path: str) -> str:
    return site_url() + path


def site_url_learn(*, base: str) -> None:
    """Remember the base URL of the first request (development only, SITE_URL unset)."""
    global _learned
    if _learned or settings.SITE_URL or not settings.DEBUG:
        return
    _learned = base.rstrip("/")
    logger.warning("SITE_URL is not set: links in e-mail will use %s, where the first request came in.", _learned)


class LearnSiteUrlMiddleware:
    """With DEBUG on and no SITE_URL, take the first request's scheme and host as the site's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _learned and settings.DEBUG and not settings.SITE_URL:
            site_url_learn(base=request.build_absolute_uri("/"))
        return self.get_response(request)
