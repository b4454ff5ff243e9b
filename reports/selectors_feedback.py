"""What the customers told us: satisfaction ratings and knowledge-base deflection."""

from datetime import datetime
from typing import Any, cast

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from .filters import Scope
from .models import DeflectionEvent, SatisfactionSurvey
from .tables import Table, rate

COMMENTS_SHOWN = 20
SCORES = (1, 2, 3, 4, 5)


def _surveys(scope: Scope) -> QuerySet[SatisfactionSurvey]:
    return SatisfactionSurvey.objects.filter(
        scope.q(via="ticket__"), asked_at__gte=scope.start_at, asked_at__lt=scope.end_at
    )


def report_csat(scope: Scope) -> tuple[Table, Table, Table]:
    """Average, distribution and response rate of the ratings asked in the range, and the comments."""
    figures = _surveys(scope).aggregate(
        asked=Count("pk"),
        answered=Count("answered_at"),
        average=Avg("score"),
        **{f"s{score}": Count("pk", filter=Q(score=score)) for score in SCORES},
    )
    summary = Table(
        "csat",
        _("Customer satisfaction"),
        [_("Surveys asked"), _("Answered"), _("Response rate (%)"), _("Average rating (1–5)")],
        [[
            figures["asked"], figures["answered"], rate(figures["answered"], figures["asked"]),
            None if figures["average"] is None else round(figures["average"], 2),
        ]],
    )  # fmt: skip
    distribution = Table(
        "csat_distribution",
        _("Ratings given"),
        [_("Rating"), _("Answers"), _("Share (%)")],
        [[score, figures[f"s{score}"], rate(figures[f"s{score}"], figures["answered"])] for score in SCORES],
    )
    comments = (
        _surveys(scope)
        .exclude(comment="")
        .filter(answered_at__isnull=False)
        .select_related("ticket")
        .order_by("-answered_at")[:COMMENTS_SHOWN]
    )
    comment_table = Table(
        "csat_comments",
        _("Latest comments"),
        [_("Request"), _("Rating"), _("Answered"), _("Comment")],
        [[s.ticket.reference, s.score, cast(datetime, s.answered_at).date().isoformat(), s.comment] for s in comments],
    )
    return summary, distribution, comment_table


def report_deflection(scope: Scope) -> Table:
    """Visits to a request form: with suggested articles, with one opened, and then submitted or left."""
    kind = DeflectionEvent.Kind
    submitted = DeflectionEvent.objects.filter(session=OuterRef("session"), kind=kind.SUBMITTED)
    events = DeflectionEvent.objects.filter(
        scope.q(dimensions=False), created_at__gte=scope.start_at, created_at__lt=scope.end_at
    ).annotate(sent=Exists(submitted))

    def visits(**condition: Any) -> Count:
        return Count("session", distinct=True, filter=Q(**condition))

    figures = events.aggregate(
        shown=visits(kind=kind.SHOWN),
        opened=visits(kind=kind.OPENED),
        opened_submitted=visits(kind=kind.OPENED, sent=True),
        opened_left=visits(kind=kind.OPENED, sent=False),
        shown_submitted=visits(kind=kind.SHOWN, sent=True),
    )
    rows = [
        [_("Articles suggested"), figures["shown"], rate(figures["shown"], figures["shown"])],
        [_("Article opened"), figures["opened"], rate(figures["opened"], figures["shown"])],
        [_("Opened, form left"), figures["opened_left"],
         rate(figures["opened_left"], figures["shown"])],
        [_("Opened, then sent"), figures["opened_submitted"],
         rate(figures["opened_submitted"], figures["shown"])],
        [_("Suggested, then sent"), figures["shown_submitted"],
         rate(figures["shown_submitted"], figures["shown"])],
    ]  # fmt: skip
    return Table(
        "deflection",
        _("Knowledge-base deflection"),
        [_("Step"), _("Visits"), _("Of visits with suggestions (%)")],
        rows,
        note=_(
            "Visits of a request form: articles suggested while typing, one opened from the suggestions, the form "
            "sent. “Opened, form left” is the deflection: the article answered, or the customer gave up."
        ),
    )
