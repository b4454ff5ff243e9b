from typing import Any

from django import template
from django.template import Context

from configuration.access import CATALOGUE_PERMISSION, PEOPLE_PERMISSION, may_configure
from tickets.models import Ticket
from tickets.visibility import Viewer

register = template.Library()


@register.filter
def may_people(user: Viewer) -> bool:
    return may_configure(user, PEOPLE_PERMISSION)


@register.filter
def may_catalogue(user: Viewer) -> bool:
    return may_configure(user, CATALOGUE_PERMISSION)


@register.inclusion_tag("configuration/_offboarding_offer.html", takes_context=True)
def offboarding_offer(context: Context, ticket: Ticket) -> dict[str, Any]:
    """On the agent's page of a resolved "Staff terminated" request: deactivate the named member."""
    from configuration.offboarding import offboarding_done, offboarding_offered

    user = context["request"].user
    offered = offboarding_offered(ticket=ticket, user=user)
    return {
        "offered": offered,
        "done": offered and offboarding_done(ticket=ticket),
        "ticket": ticket,
        "csrf_token": context.get("csrf_token"),
    }
