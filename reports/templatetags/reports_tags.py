from django import template

from tickets.models import Ticket
from tickets.visibility import ticket_roles
from tickets.workflow import Role

from ..csat import SCORE_LABELS, SCORES, survey_current, ticket_ratings

register = template.Library()


@register.simple_tag
def csat_prompt(ticket: Ticket, user) -> dict | None:
    """The rating question for the request page: its present resolution's survey, if one is
    open and this person is one of the request's people (not its agents)."""
    survey = survey_current(ticket=ticket)
    if survey is None:
        return None
    if not ticket_roles(ticket=ticket, user=user) & {Role.CUSTOMER, Role.VOUCHER}:
        return None
    return {"survey": survey, "scores": [(s, SCORE_LABELS[s]) for s in SCORES]}


@register.simple_tag
def csat_ratings(ticket: Ticket):
    return list(ticket_ratings(ticket=ticket))
