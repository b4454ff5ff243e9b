"""Reads that may be a little stale go to a read replica, when DATABASE_REPLICA_URL is set.

Everything reads and writes the primary ("default") unless the code asks otherwise with
`stale_reads()`: search, the list counts and exports do (tickets/search.py callers,
tickets/counts.py, the queue export). Even inside `stale_reads()` a read stays on the primary
when it runs inside a transaction, or after this request (or task) wrote anything: a person who
just changed a request sees their change, never the replica's older copy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
_stale_ok: ContextVar[bool] = ContextVar("stale_ok", default=False)
_wrote: ContextVar[bool] = ContextVar("wrote", default=False)


@contextlib.contextmanager
def stale_reads() -> Iterator[None]:
    """Reads in this block may come from the replica (seconds behind the primary at most)."""
    token = _stale_ok.set(True)
    try:
        yield
    finally:
        _stale_ok.reset(token)


def forget_writes() -> None:
    """A new request or task: earlier writes were someone else's."""
    _wrote.set(False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if not _stale_ok.get() or _wrote.get() or not replica_configured():
            return "default"
        if connections["default"].in_atomic_block:
            return "default"
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        _wrote.set(True)
        return "default"

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == "default"


class ForgetWritesMiddleware:
    """Each request starts with no writes of its own (sync workers reuse the context)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        forget_writes()
        return self.get_response(request)
