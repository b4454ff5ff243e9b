"""The dashboard's figures from the summary tables, kept in the cache until those tables change.

Between two refreshes (every REPORTS_REFRESH_SECONDS) the summary tables do not move, so neither
do the figures read from them: each section's tables are cached under the filters, the
visibility (the desks) and the language, and the summary tables' version (ReportRefresh.version,
bumped by every write to them). A refresh makes every cached figure unreachable at once; the
sections that read live rows (satisfaction, deflection) are never cached. With the cache down the
figures are computed as before."""

import hashlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from .filters import Scope
from .rollups import summary_version

T = TypeVar("T")
# Part of every key: change it when what is cached changes shape (a deploy then misses, never misreads).
SHAPE = "2"
log = logging.getLogger(__name__)


def _key(name: str, scope: Scope, version: int) -> str:
    parts = (name, str(scope.visibility), scope.start, scope.end, scope.period, scope.desk_id,
             scope.request_type_id, scope.organization_id, scope.channel, get_language(), version)  # fmt: skip
    return f"reports:{SHAPE}:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def summary_cached(name: str, scope: Scope, compute: Callable[[Scope], T], *, version: int | None = None) -> T:
    """compute(scope), or what it gave for the same scope since the summary tables last changed."""
    key = _key(name, scope, summary_version() if version is None else version)
    try:
        found: Any = cache.get(key)
    except Exception:  # noqa: BLE001 - the cache is a shortcut, never a dependency
        log.warning("reports cache unavailable", exc_info=True)
        return compute(scope)
    if found is not None:
        return cast(T, found)
    value = compute(scope)
    try:
        cache.set(key, value, settings.REPORTS_CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        log.warning("reports cache unavailable", exc_info=True)
    return value
