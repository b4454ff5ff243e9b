import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "down" here
        logger.warning("healthz: database unreachable", exc_info=True)
        return "down"
    return "ok"


def _broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        client.ping()
    except Exception:  # noqa: BLE001
        return "down"
    return "ok"


@never_cache
def healthz(request):
    """Database and broker state; 503 only when the database is unreachable (mail just waits)."""
    database, broker = _database_state(), _broker_state()
    return JsonResponse({"database": database, "broker": broker}, status=200 if database == "ok" else 503)


def favicon(request):
    # Browsers ask for /favicon.ico on pages without a <link rel=icon> (error pages, files).
    return redirect(static("img/favicon.svg"), permanent=True)


@login_required
def landing(request):
    """Where signing in leads when no page was asked for: agents to their queues, everyone else
    to the Help Center."""
    from tickets.visibility import user_is_agent

    return redirect("agent:home" if user_is_agent(user=request.user) else "portal:home")


@login_required
def bench_ceiling(request):
    """The benchmark's yardstick (routed only with BENCH_CEILING on): a signed-in page behind the
    same middleware and session that reads one ticket by primary key and renders no template, so
    no page can be faster on the same machine; bench/http_bench.py shows every page as a share."""
    from django.http import Http404, HttpResponse

    from tickets.models import Ticket

    try:
        pk = int(request.GET.get("pk", "0"))
    except ValueError:
        raise Http404 from None
    reference = Ticket.objects.filter(pk=pk).values_list("reference", flat=True).first()
    if reference is None:
        raise Http404
    return HttpResponse(reference, content_type="text/plain")
