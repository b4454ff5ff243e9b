"""Dates and durations as every page shows them: one format per language (helpdesk/formats),
recent events as relative time with the absolute one on hover and focus."""

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
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


def _values(**values: Any) -> dict[str, str]:
    """A {% blocktranslate with … %}'s values: escaped (the translation itself is printed as written)."""
    return {key: conditional_escape(value) for key, value in values.items()}


@register.filter(is_safe=True)
def sla_clock(clock: Any) -> str:  # a tickets.sla_clock.Clock or None
    """One SLA target (tickets.sla_clock.Clock) as the queue and the request page show it:
    time left or overdue, the due time on hover and focus; paused, met or none."""
    state = clock.state if clock is not None else "none"
    if state == "left":
        due = _("Due %(when)s") % _values(when=absolute(clock.due))
        left = _("%(left)s left") % _values(left=business_duration(clock.minutes))
        if clock.at_risk:
            return mark_safe(
                f'<span class="clock tip at-risk" tabindex="0" title="{due}" data-tip="{due}">{left}</span>'
                f' <span class="badge">{conditional_escape(_("At risk"))}</span>'
            )
        return mark_safe(f'<span class="clock tip" tabindex="0" title="{due}" data-tip="{due}">{left}</span>')
    if state == "overdue":
        due = _("Was due %(when)s") % _values(when=absolute(clock.due))
        late = _("Overdue by %(late)s") % _values(late=business_duration(clock.minutes))
        return mark_safe(f'<span class="clock overdue tip" tabindex="0" title="{due}" data-tip="{due}">{late}</span>')
    if state == "paused":
        return mark_safe(f'<span class="muted">{conditional_escape(_("Paused"))}</span>')
    if state == "met":
        met = conditional_escape(absolute(clock.met_at))
        done = conditional_escape(_("Done, late") if clock.late else _("Done in time"))
        return mark_safe(f'<span class="muted tip" tabindex="0" title="{met}" data-tip="{met}">{done}</span>')
    return "—"
