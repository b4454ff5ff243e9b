from typing import Any

from django import template

from tickets.models import Ticket
from tickets.visibility import Viewer, ticket_roles
from tickets.workflow import Role

from ..csat import SCORE_LABELS, SCORES, survey_current, ticket_ratings
from ..models import SatisfactionSurvey

register = template.Library()


@register.simple_tag
def csat_prompt(ticket: Ticket, user: Viewer) -> dict[str, Any] | None:
    """The rating question for the request page: its present resolution's survey, if one is
    open and this person is one of the request's people (not its agents)."""
    survey = survey_current(ticket=ticket)
    if survey is None:
        return None
    if not ticket_roles(ticket=ticket, user=user) & {Role.CUSTOMER, Role.VOUCHER}:
        return None
    return {"survey": survey, "scores": [(s, SCORE_LABELS[s]) for s in SCORES]}


@register.simple_tag
def csat_ratings(ticket: Ticket) -> list[SatisfactionSurvey]:
    return list(ticket_ratings(ticket=ticket))
