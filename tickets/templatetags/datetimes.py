"""Dates and durations as every page shows them: one format per language (helpdesk/formats),
recent events as relative time with the absolute one on hover and focus."""

from datetime import datetime, timedelta

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

RECENT = timedelta(days=7)


@register.filter
def absolute(value: datetime | None) -> str:
    """The one date-and-time format of the current language, in local time."""
    if not value:
        return ""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def relative_text(value: datetime, now: datetime) -> str:
    if abs(now - value) < timedelta(minutes=1):
        return _("just now")
    if value <= now:
        return _("%(time)s ago") % {"time": timesince(value, now, depth=1)}
    return _("in %(time)s") % {"time": timeuntil(value, now, depth=1)}


@register.filter(is_safe=True)
def when(value: datetime | None, now: datetime | None = None) -> str:
    """A <time>: relative for recent events ("3 hours ago"), the absolute time on hover and
    keyboard focus (title and a tooltip); older ones in the absolute format."""
    if not value:
        return "—"
    now = now or timezone.now()
    text = absolute(value)
    if abs(now - value) >= RECENT:
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), text)
    return format_html(
        '<time datetime="{}" title="{}" data-tip="{}" tabindex="0" class="tip">{}</time>',
        value.isoformat(),
        text,
        text,
        relative_text(value, now),
    )


@register.filter
def business_duration(minutes: float) -> str:
    """Business minutes as "45 min", "3 h 20 min" or "27 h" (a business day is not 24 hours,
    so whole days would mislead)."""
    minutes = int(round(abs(minutes or 0)))
    hours, rest = divmod(minutes, 60)
    if not hours:
        return ngettext("%(n)d min", "%(n)d min", rest) % {"n": rest}
    if hours >= 10 or not rest:
        return ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours}
    return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}
