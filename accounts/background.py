"""Work a request owes but must not do itself, so that it answers as fast whatever the work is.

A password-reset or sign-up POST answers at once and the same for every address; looking the
address up, signing a link and rendering and sending the mail happen afterwards. With a broker
that is a Celery task. In the embedded run (no broker: CELERY_TASK_ALWAYS_EAGER) tasks would run
inside the request, so they go to one process-wide background thread instead.
"""

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from celery import Task
from django.db import connections, transaction

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_pending: set[Future[None]] = set()


def task_after_response(task: Task[..., Any], **kwargs: Any) -> None:
    """Run a Celery task after the surrounding transaction commits, never in this request."""
    transaction.on_commit(lambda: _dispatch(task, kwargs))


def _dispatch(task: Task[..., Any], kwargs: dict[str, Any]) -> None:
    if not task.app.conf.task_always_eager:
        try:
            task.apply_async(kwargs=kwargs, retry=False)
            return
        except Exception:  # noqa: BLE001 - the broker being down must not lose a reset mail
            logger.warning("could not queue %s; running it in this process instead", task.name, exc_info=True)
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="after-response")
        future = _executor.submit(_run, task, kwargs)
        _pending.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future[None]) -> None:
    with _lock:
        _pending.discard(future)


def _run(task: Task[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        task.apply(kwargs=kwargs, throw=True)
    except Exception:  # noqa: BLE001 - logged; the thread serves the next one
        logger.exception("background task %s failed", task.name)
    finally:
        # This thread's own connections; the request's are untouched.
        connections.close_all()


def background_drain(timeout: float = 30.0) -> bool:
    """Wait until the background thread has done everything handed to it (tests, shutdown)."""
    with _lock:
        pending = set(_pending)
    done, not_done = wait(pending, timeout=timeout)
    return not not_done
