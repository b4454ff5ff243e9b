"""The dashboard's filters, and the scope they give: which desks (never more than the agent's
own, by the visibility rule), type, organisation, channel, and the periods of the range."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, User
from tickets.models import Channel, RequestType, ServiceDesk
from tickets.visibility import agent_desks, agent_visibility_q

MAX_DAYS = {"day": 92, "week": 731, "month": 1096}
DEFAULT_DAYS = 84
# Reports start no earlier than this (and end at most a year ahead): no date arithmetic overflows.
EARLIEST = date(2000, 1, 1)
ORGANIZATION_CHOICES_MAX = 500


@dataclass
class Scope:
    """What every figure of one dashboard view is restricted to."""

    user: User
    visibility: Q
    start: date
    end: date  # inclusive
    period: str
    desk_id: int | None = None
    request_type_id: int | None = None
    organization_id: int | None = None
    channel: str = ""
    periods: list[date] = field(default_factory=list)

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def q(self, *, via: str = "", dimensions: bool = True) -> Q:
        """The filters as a condition on rows that carry desk_id (every report table does); the
        other dimensions are read `via` a relation (e.g. "ticket__") where the row has none."""
        q = self.visibility
        if self.desk_id is not None:
            q &= Q(desk_id=self.desk_id)
        if dimensions:
            values = {"request_type_id": self.request_type_id, "organization_id": self.organization_id,
                      "channel": self.channel or None}  # fmt: skip
            for name, value in values.items():
                if value is not None:
                    q &= Q(**{f"{via}{name}": value})
        return q


def period_starts(*, start: date, end: date, period: str) -> list[date]:
    """The first day of every period touching [start, end] (weeks start on Monday)."""
    if period == "day":
        first = start
    elif period == "week":
        first = start - timedelta(days=start.weekday())
    else:
        first = start.replace(day=1)
    periods, cursor = [], first
    while cursor <= end:
        periods.append(cursor)
        if period == "day":
            cursor += timedelta(days=1)
        elif period == "week":
            cursor += timedelta(days=7)
        else:
            cursor = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
    return periods


def period_label(day: date, period: str) -> str:
    return day.strftime("%Y-%m") if period == "month" else day.isoformat()


class QuickSelect(forms.Select):
    """The same <select> as Django's, written in one pass: the organisation list runs to
    thousands of options, which the template-rendered widget takes a second or more to write."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{escape(str(v))}"{" selected" if str(v) in chosen else ""}>{escape(str(label))}</option>'
            for v, label in self.choices
        )
        final = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{final}>{options}</select>')  # noqa: S308 - escaped above


class _NameChoices(ModelChoiceIterator[Organization]):
    """The organisations as (id, name) rows, without building a model per option."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", "name")


class OrganizationChoiceField(forms.ModelChoiceField[Organization]):
    iterator = _NameChoices


class ReportFilterForm(forms.Form):
    desk: forms.ModelChoiceField[ServiceDesk] = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", label=_("Desk"), empty_label=_("All my desks")
    )
    request_type: forms.ModelChoiceField[RequestType] = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Request type"), empty_label=_("Any type")
    )
    organization: forms.ModelChoiceField[Organization] = OrganizationChoiceField(
        queryset=None, required=False, label=_("Organisation"), empty_label=_("Any organisation"), widget=QuickSelect
    )
    channel = forms.ChoiceField(required=False, label=_("Channel"))
    date_from = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    period = forms.ChoiceField(
        required=False, label=_("Per"), choices=[("week", _("Week")), ("day", _("Day")), ("month", _("Month"))]
    )

    def __init__(self, data: QueryDict | None = None, *, user: User):
        super().__init__(data)
        self.user = user
        desks = agent_desks(user=user)
        cast(forms.ModelChoiceField[ServiceDesk], self.fields["desk"]).queryset = desks
        request_type = cast(forms.ModelChoiceField[RequestType], self.fields["request_type"])
        request_type.queryset = RequestType.objects.filter(desk__in=desks).select_related("desk")
        request_type.label_from_instance = lambda obj: f"{obj.desk.key} · {obj.display_name}"  # type: ignore[method-assign]
        organizations = Organization.objects.filter(is_active=True).order_by("name")
        cast(forms.ModelChoiceField[Organization], self.fields["organization"]).queryset = organizations
        cast(forms.ChoiceField, self.fields["channel"]).choices = [("", _("Any channel")), *Channel.choices]

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean gives cleaned_data
        today = timezone.localdate()
        end = data.get("date_to") or today
        start = data.get("date_from") or end - timedelta(days=DEFAULT_DAYS - 1)
        period = data.get("period") or "week"
        if end > today + timedelta(days=366) or start < EARLIEST:
            self.add_error("date_from", _("Choose dates between 2000 and next year."))
        elif start > end:
            self.add_error("date_from", _("The start must be on or before the end."))
        elif (end - start).days + 1 > MAX_DAYS[period]:
            self.add_error(
                "date_from",
                _("Choose at most %(days)d days for this period, or a longer period.") % {"days": MAX_DAYS[period]},
            )
        request_type, desk = data.get("request_type"), data.get("desk")
        if request_type and desk and request_type.desk_id != desk.pk:
            self.add_error("request_type", _("Choose a request type of the chosen desk."))
        data.update({"date_from": start, "date_to": end, "period": period})
        return data

    def scope(self) -> Scope:
        data = self.cleaned_data
        desk, request_type, organization = data.get("desk"), data.get("request_type"), data.get("organization")
        start, end, period = data["date_from"], data["date_to"], data["period"]
        return Scope(
            user=self.user,
            visibility=agent_visibility_q(user=self.user),
            start=start,
            end=end,
            period=period,
            desk_id=desk.pk if desk else None,
            request_type_id=request_type.pk if request_type else None,
            organization_id=organization.pk if organization else None,
            channel=data.get("channel") or "",
            periods=period_starts(start=start, end=end, period=period),
        )
