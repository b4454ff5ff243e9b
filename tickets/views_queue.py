"""The queue table's own doors and helpers: which columns an agent shows and in what order,
and the sort links of its headings."""

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User

from .agent_access import agent_required
from .forms import safe_next_url
from .models import SavedQueue, ServiceDesk
from .queues import QUEUE_COLUMNS, QUEUE_SORTS, queue_columns_for, queue_sort_parse
from .services import queue_columns_set


def queue_table_context(request: HttpRequest, *, queue: str | SavedQueue, desk: ServiceDesk | None) -> dict[str, Any]:
    """Columns to show (each with its heading's sort link and aria-sort) and the sort in use."""
    sort = request.GET.get("sort", "")
    key, descending = queue_sort_parse(sort, queue=queue)
    current = ("-" if descending else "") + key
    base = {"desk": desk.slug} if desk else {}
    chosen = queue_columns_for(user=cast(User, request.user))  # agent_required: signed in
    columns = []
    for column in chosen:
        label, sort_key = QUEUE_COLUMNS[column]
        item = {"key": column, "label": label, "sort_url": "", "aria_sort": ""}
        if sort_key:
            ascending_next = not (sort_key == key and not descending)
            item["sort_url"] = "?" + urlencode({**base, "sort": ("" if ascending_next else "-") + sort_key})
            if sort_key == key:
                item["aria_sort"] = "descending" if descending else "ascending"
        columns.append(item)
    sort_options = []
    for sort_key in QUEUE_SORTS:
        if sort_key == "resolved" and key != "resolved":
            continue
        name = str(QUEUE_COLUMNS[sort_key][0]) if sort_key in QUEUE_COLUMNS else _("Resolved")
        sort_options.append((sort_key, _("%(column)s, earliest first") % {"column": name}))
        sort_options.append(("-" + sort_key, _("%(column)s, latest first") % {"column": name}))
    chooser = [(k, QUEUE_COLUMNS[k][0], k in chosen) for k in chosen + [k for k in QUEUE_COLUMNS if k not in chosen]]
    return {
        "columns": columns,
        "sort": current,
        "sort_param": sort if sort.lstrip("-") in QUEUE_SORTS else "",
        "sort_options": sort_options,
        "column_chooser": chooser,
    }


@agent_required
@require_POST
def queue_columns(request: HttpRequest) -> HttpResponse:
    """Save the agent's columns: the ticked ones in the listed order, one moved up or down."""
    order = [key for key in dict.fromkeys(request.POST.getlist("order")) if key in QUEUE_COLUMNS]
    order += [key for key in QUEUE_COLUMNS if key not in order]
    shown = set(request.POST.getlist("columns")) | {"reference"}  # a row needs its link
    for direction, step in (("up", -1), ("down", 1)):
        moving = request.POST.get(direction)
        if moving in order:
            at = order.index(moving)
            other = at + step
            if 0 <= other < len(order):
                order[at], order[other] = order[other], order[at]
    queue_columns_set(user=cast(User, request.user), columns=[key for key in order if key in shown])
    messages.success(request, _("Your columns are saved."))
    return redirect(safe_next_url(request.POST.get("next"), request=request, default=reverse("agent:home")))
