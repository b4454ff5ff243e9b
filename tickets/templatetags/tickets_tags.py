from django import template

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
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def is_image(attachment) -> bool:
    return attachment.content_type.startswith("image/")
