"""The "Other" trend pages: the trend with its recurring phrases, one phrase's requests, and the
admin's two actions on a phrase (draft a type, move the requests into an active one)."""

from typing import cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from tickets.errors import TicketError
from tickets.models import ServiceDesk
from tickets.selectors import capped_count
from tickets.views import agent_required

from . import charts
from .charts import Series
from .facts import reports_freshness, reports_refresh_if_stale
from .filters import ReportFilterForm, Scope
from .other import (
    may_shape_catalogue,
    other_recategorise,
    phrase_tickets,
    recategorise_targets,
    report_other_phrases,
    report_other_trend,
    request_type_draft_from_phrase,
)
from .tables import Table
from .views import table_csv

PHRASE_MAX = 120
TICKETS_SHOWN = 50


class PhraseForm(forms.Form):
    phrase = forms.CharField(max_length=PHRASE_MAX, label=gettext_lazy("Word or phrase"))


def _filters(request: HttpRequest) -> ReportFilterForm:
    data = request.GET if request.method == "GET" else request.POST
    return ReportFilterForm(data, user=cast(User, request.user))  # agent_required: signed in


def _filter_query(form: ReportFilterForm) -> str:
    return urlencode({k: v for k, v in form.data.items() if k in form.fields and v})


def _phrase_url(filter_query: str, phrase: str) -> str:
    query = urlencode({"phrase": phrase}) + (f"&{filter_query}" if filter_query else "")
    return f"{reverse('reports:other_phrase')}?{query}"


def _tables(form: ReportFilterForm) -> tuple[Scope, Table, Table]:
    scope = form.scope()
    query = _filter_query(form)
    trend = report_other_trend(scope)
    phrases = report_other_phrases(scope, link=lambda phrase: _phrase_url(query, phrase))
    if any(row[2] for row in trend.rows):
        trend.chart = charts.bar_chart(
            uid="chart-other-trend", title=str(trend.title), categories=[str(r[0]) for r in trend.rows],
            # Beside all requests, so the share reads from the picture too.
            series=[Series(str(trend.columns[1]), trend.column(1)), Series(str(trend.columns[2]), trend.column(2))],
        )  # fmt: skip
    if phrases.rows:
        series = [Series(_("Requests"), phrases.column(1))]
        phrases.chart = charts.hbar_chart(
            uid="chart-other-phrases", title=str(phrases.title), labels=phrases.column(0), series=series
        )
    return scope, trend, phrases


@agent_required
def other_trend(request: HttpRequest) -> HttpResponse:
    form = _filters(request)
    if not form.is_valid():
        return render(request, "agent/reports/other.html", {"form": form, "tables": []}, status=400)
    reports_refresh_if_stale()
    scope, trend, phrases = _tables(form)
    context = {"form": form, "tables": [trend, phrases], "filter_query": _filter_query(form), "scope": scope,
               "freshness": reports_freshness()}  # fmt: skip
    return render(request, "agent/reports/other.html", context)


@agent_required
def other_csv(request: HttpRequest, key: str) -> HttpResponse:
    form = _filters(request)
    if key not in ("other_trend", "other_phrases") or not form.is_valid():
        raise Http404
    _scope, trend, phrases = _tables(form)
    return table_csv(trend if key == "other_trend" else phrases)


def _phrase_or_404(request: HttpRequest) -> str:
    form = PhraseForm(request.GET if request.method == "GET" else request.POST)
    if not form.is_valid():
        raise Http404
    return " ".join(form.cleaned_data["phrase"].split())


@agent_required
def other_phrase(request: HttpRequest) -> HttpResponse:
    """One phrase's "Other" requests, and the admin's actions on them."""
    phrase = _phrase_or_404(request)
    form = _filters(request)
    if not form.is_valid():
        return render(request, "agent/reports/other_phrase.html", {"form": form, "phrase": phrase}, status=400)
    scope = form.scope()
    tickets = phrase_tickets(scope, phrase=phrase)
    # Where the phrase's requests are, busiest desk first: the draft goes to one of them.
    desks = list(tickets.values("desk__slug", "desk__name").annotate(n=Count("pk")).order_by("-n", "desk__name"))
    context = {
        "form": form,
        "phrase": phrase,
        "tickets": tickets.select_related("desk", "request_type").order_by("-created_at")[:TICKETS_SHOWN],
        "count": capped_count(tickets),
        "shown_max": TICKETS_SHOWN,
        "desks": desks,
        "may_shape": may_shape_catalogue(cast(User, request.user)),
        "targets": recategorise_targets(scope) if may_shape_catalogue(cast(User, request.user)) else [],
        "filter_query": _filter_query(form),
        "filter_items": [(k, v) for k, v in form.data.items() if k in form.fields and v],
    }
    return render(request, "agent/reports/other_phrase.html", context)


@agent_required
@require_POST
def other_draft(request: HttpRequest) -> HttpResponse:
    """Draft an inactive request type named after the phrase; the catalogue editor opens it."""
    phrase = _phrase_or_404(request)
    desk_field = cast(forms.ModelChoiceField[ServiceDesk], _filters(request).fields["desk"])
    offered = cast(QuerySet[ServiceDesk], desk_field.queryset)  # set in ReportFilterForm.__init__
    desk = ServiceDesk.objects.filter(pk__in=offered.values("pk"),
                                      slug=request.POST.get("draft_desk", "")).first()  # fmt: skip
    if desk is None:
        messages.error(request, _("Choose one of your desks for the new request type."))
        return redirect(_phrase_url("", phrase))
    try:
        draft = request_type_draft_from_phrase(phrase=phrase, desk=desk, actor=cast(User, request.user))
    except TicketError as error:
        messages.error(request, str(error))
        return redirect(_phrase_url("", phrase))
    messages.success(
        request,
        _("Draft “%(name)s” created, inactive. Complete it, activate it, then move the requests into it.")
        % {"name": draft.name},
    )
    # The catalogue editor will have its own address; until then the admin's change page.
    return redirect(reverse("admin:tickets_requesttype_change", args=[draft.pk]))


@agent_required
@require_POST
def other_move(request: HttpRequest) -> HttpResponse:
    """Move the phrase's "Other" requests into an active type (each change logged, no e-mail)."""
    phrase = _phrase_or_404(request)
    form = _filters(request)
    if not form.is_valid():
        raise Http404
    scope = form.scope()
    target = recategorise_targets(scope).filter(pk=request.POST.get("request_type") or 0).first()
    back = _phrase_url(_filter_query(form), phrase)
    if target is None:
        messages.error(request, _("Choose an active request type of your desks."))
        return redirect(back)
    try:
        moved = other_recategorise(scope=scope, phrase=phrase, request_type=target, actor=cast(User, request.user))
    except TicketError as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(request, _("%(count)d requests moved to “%(name)s”.") % {"count": moved, "name": target.name})
    return redirect(back)
