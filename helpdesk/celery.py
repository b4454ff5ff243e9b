import functools
import logging
import os
from queue import Empty

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

logger = logging.getLogger(__name__)

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
def forget_earlier_writes(**kwargs):
    """Each task starts with no writes of its own: helpdesk/db_router.py keeps a task's reads on
    the primary only after it wrote."""
    from helpdesk.db_router import forget_writes

    forget_writes()


@signals.worker_init.connect
def refuse_inconsistent_outbox_settings(**kwargs):
    """System checks do not run in a worker, where the outbox's timeout checks matter most.

    Celery logs and ignores exceptions from signal handlers, so this exits instead.
    """
    from notifications.checks import check_outbox_timeouts

    errors = check_outbox_timeouts()
    if errors:
        raise SystemExit("worker refuses to start: " + "; ".join(f"{e.id}: {e.msg}" for e in errors))


def close_redis_channels_whole() -> None:
    """Keep a worker alive when Redis goes away while it holds unacknowledged messages.

    Seen with celery 5.7.0, kombu 5.7.0 and redis-py 8.1.0 (issue 9, point 10), reproduced by
    tests/fault/test_broker_restart.py. On a lost connection the consumer calls
    `Connection.collect()`, then (new in celery 5.7, celery/celery#10242 for #9705)
    `Connection.close()`. kombu's Redis `Channel.close()` first reads the reply of the BRPOP in
    flight (celery/kombu#1733) but forgives only `Empty`: on a dead connection it raises, and
    the channel is left half-closed, holding its unacknowledged messages (every retry waiting
    for its countdown). `collect()` then drops the transport's client, and the second close goes
    on to put those messages back through a new connection pool built from that client, which
    is None: `AttributeError: 'NoneType' object has no attribute 'hostname'` (the symptom of
    celery/kombu#970 and #582). It is not a connection error, so the worker exits.

    Here a connection error while reading that reply counts as no reply, like `Empty`, so the
    channel closes whole on the first try, while it still has a client: the messages go back if
    Redis answers, and if it does not that fails as the connection error kombu and celery
    expect. No kombu release fixes this yet (5.7.0 is the newest); drop this once one does and
    the tests in tests/fault/test_broker_restart.py pass without it.
    """
    from kombu.transport import redis as kombu_redis

    close = kombu_redis.Channel.close
    if hasattr(close, "__wrapped__"):
        return  # already applied

    @functools.wraps(close)
    def close_whole(self) -> None:
        if self._in_poll and not self.closed:
            try:
                self._brpop_read()  # clears _in_poll, so kombu's close does not read again
            except (Empty, *self.connection_errors):
                pass
        holding = bool(self._qos is not None and self._qos._delivered and not self.closed)
        try:
            close(self)
        except self.connection_errors as exc:
            if holding:
                # kombu has logged "Restoring N unacknowledged message(s)" and says no more.
                logger.warning(
                    "Redis is unreachable (%r): the unacknowledged messages were not put back. Redis hands "
                    "them out again after the visibility timeout if it kept its data; the outbox sweep "
                    "re-queues unsent mail either way.",
                    exc,
                )
            raise

    kombu_redis.Channel.close = close_whole  # type: ignore[method-assign]


close_redis_channels_whole()
