from django import template

from configuration.access import CATALOGUE_PERMISSION, PEOPLE_PERMISSION, may_configure

register = template.Library()


@register.filter
def may_people(user) -> bool:
    return may_configure(user, PEOPLE_PERMISSION)


@register.filter
def may_catalogue(user) -> bool:
    return may_configure(user, CATALOGUE_PERMISSION)
