from django import template
from django.utils.html import conditional_escape, format_html

from tickets.models import Priority
from tickets.workflow import Status

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    """The readable, translated name of a status code."""
    try:
        return str(Status(value).label)
    except ValueError:
        return value


@register.filter
def priority_label(value) -> str:
    """The translated name of a priority kept in the log as its number."""
    try:
        return str(Priority(int(value)).label)
    except (TypeError, ValueError):
        return str(value or "")


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def is_image(attachment) -> bool:
    return attachment.content_type.startswith("image/")


@register.filter(is_safe=True)
def person(user, email: str = ""):
    """A person by their name, their e-mail address on hover (agents' pages). Takes a user, or
    a name with the address as the argument (for names kept in the activity log)."""
    if user is None or user == "":
        return ""
    name = user if isinstance(user, str) else (user.full_name or user.email)
    address = email if isinstance(user, str) else user.email
    if not address or address == name:
        return conditional_escape(name)
    return format_html('<span class="person" title="{}">{}</span>', address, name)
