from django import template

from configuration.access import CATALOGUE_PERMISSION, PEOPLE_PERMISSION, may_configure

register = template.Library()


@register.filter
def may_people(user) -> bool:
    return may_configure(user, PEOPLE_PERMISSION)


@register.filter
def may_catalogue(user) -> bool:
    return may_configure(user, CATALOGUE_PERMISSION)


@register.inclusion_tag("configuration/_offboarding_offer.html", takes_context=True)
def offboarding_offer(context, ticket):
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
