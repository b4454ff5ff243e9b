"""Customer satisfaction: when a request is resolved its people are asked once, on the request
page and in the resolution e-mail, to rate it from 1 to 5 with an optional comment. Reopening
and resolving again asks again. A desk can turn it off (ServiceDesk.csat_enabled).

The e-mail carries one link per score: a signed token naming the survey, the request and the
score, valid CSAT_LINK_MAX_AGE_DAYS days, good for one answer (the survey takes one answer)."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from notifications.links import absolute_url
from tickets.models import Ticket
from tickets.workflow import Status

from .models import SatisfactionSurvey

SALT = "reports.csat"
SCORES = (1, 2, 3, 4, 5)
COMMENT_MAX = 2000
SCORE_LABELS = {
    1: gettext_lazy("Very dissatisfied"),
    2: gettext_lazy("Dissatisfied"),
    3: gettext_lazy("Neither"),
    4: gettext_lazy("Satisfied"),
    5: gettext_lazy("Very satisfied"),
}


class SurveyRefused(Exception):
    """An answer that cannot be taken; the message says why, for the person who clicked."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def survey_ask(*, ticket: Ticket) -> SatisfactionSurvey | None:
    """The survey of this resolution (made once; None if the desk asks none)."""
    if not ticket.desk.csat_enabled or ticket.resolved_at is None:
        return None
    try:
        with transaction.atomic():
            survey, _created = SatisfactionSurvey.objects.get_or_create(
                ticket=ticket, resolved_at=ticket.resolved_at, defaults={"desk_id": ticket.desk_id}
            )
    except IntegrityError:  # asked at the same moment by a parallel resolution: the same survey
        survey = SatisfactionSurvey.objects.get(ticket=ticket, resolved_at=ticket.resolved_at)
    return survey


def survey_token(*, survey: SatisfactionSurvey, score: int) -> str:
    return signing.dumps({"s": survey.pk, "t": survey.ticket_id, "v": score}, salt=SALT, compress=True)


def survey_links(*, survey: SatisfactionSurvey, reference: str) -> list[dict[str, Any]]:
    """One absolute link per score, for the e-mail."""
    return [
        {
            "score": score,
            "url": absolute_url(reverse("csat_answer", args=[reference, survey_token(survey=survey, score=score)])),
        }
        for score in SCORES
    ]


def survey_on_resolution(sender: object, *, ticket: Ticket, **kwargs: Any) -> dict[str, Any]:
    """tickets.events.ticket_resolved: ask, and give the resolution e-mail its links."""
    survey = survey_ask(ticket=ticket)
    if survey is None:
        return {}
    return {"csat_links": survey_links(survey=survey, reference=ticket.reference)}


def survey_from_token(*, reference: str, token: str) -> tuple[SatisfactionSurvey, int]:
    """The survey and score a link stands for, or SurveyRefused with the reason."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.CSAT_LINK_MAX_AGE_DAYS * 86400)
    except signing.SignatureExpired:
        raise SurveyRefused(_("This rating link has expired. You can still rate the request from its page."),
                            status=410) from None  # fmt: skip
    except signing.BadSignature:
        raise SurveyRefused(_("This rating link is not valid. Please use the link from the e-mail as it is.")) from None
    if not isinstance(data, dict) or data.get("v") not in SCORES:
        raise SurveyRefused(_("This rating link is not valid. Please use the link from the e-mail as it is."))
    survey_id, ticket_id = data.get("s"), data.get("t")
    if survey_id is None or ticket_id is None:
        raise SurveyRefused(_("This rating link belongs to another request."))
    survey = SatisfactionSurvey.objects.select_related("ticket").filter(pk=survey_id, ticket_id=ticket_id).first()
    if survey is None or survey.ticket.reference != reference.upper():
        raise SurveyRefused(_("This rating link belongs to another request."))
    survey_check_open(survey)
    return survey, data["v"]


def survey_check_open(survey: SatisfactionSurvey) -> None:
    if survey.answered_at is not None:
        raise SurveyRefused(_("This request has already been rated. Thank you!"), status=409)
    ticket = survey.ticket
    if ticket.status not in (Status.RESOLVED, Status.CLOSED) or ticket.resolved_at != survey.resolved_at:
        raise SurveyRefused(_("This request was reopened; we will ask again when it is resolved."), status=409)


def survey_current(*, ticket: Ticket) -> SatisfactionSurvey | None:
    """The survey of the request's present resolution, if it is resolved and one was asked."""
    if ticket.resolved_at is None or ticket.status not in (Status.RESOLVED, Status.CLOSED):
        return None
    return SatisfactionSurvey.objects.filter(ticket=ticket, resolved_at=ticket.resolved_at).first()


def survey_answer(
    *, survey: SatisfactionSurvey, score: int, comment: str = "", user: User | AnonymousUser | None = None
) -> None:
    """Take the one answer of a survey; a second one (or a race with one) is refused."""
    if score not in SCORES:
        raise SurveyRefused(_("Choose a rating from 1 to 5."))
    survey.refresh_from_db()
    survey_check_open(survey)
    taken = SatisfactionSurvey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        score=score,
        comment=comment.strip()[:COMMENT_MAX],
        answered_at=timezone.now(),
        answered_by=user if user is not None and user.is_authenticated else None,
    )
    if not taken:
        raise SurveyRefused(_("This request has already been rated. Thank you!"), status=409)


def ticket_ratings(*, ticket: Ticket) -> QuerySet[SatisfactionSurvey]:
    """Every answered survey of a request, newest first (agents see them on the request)."""
    return SatisfactionSurvey.objects.filter(ticket=ticket, answered_at__isnull=False).order_by("-answered_at")
