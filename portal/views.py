from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tickets.forms import RequestForm
from tickets.models import Activity, Ticket
from tickets.selectors import (
    capped_count,
    desks_for_portal,
    request_types_for_user,
    ticket_get_visible,
    ticket_list_for_customer,
)
from tickets.services import ticket_submit

SCOPES = {
    "created": gettext_lazy("Created by me"),
    "shared": gettext_lazy("Shared with me"),
    "organization": gettext_lazy("All of my organisation"),
}


@login_required
def home(request):
    return render(request, "portal/home.html", {"desks": desks_for_portal()})


@login_required
def desk_detail(request, slug):
    desk = get_object_or_404(desks_for_portal(), slug=slug)
    request_types = list(request_types_for_user(desk=desk, user=request.user))
    groups = []
    for request_type in request_types:
        if not groups or groups[-1][0].pk != request_type.group_id:
            groups.append((request_type.group, []))
        groups[-1][1].append(request_type)
    selected_key = request.GET.get("group") or (groups[0][0].key if groups else None)
    selected = next((g for g in groups if g[0].key == selected_key), groups[0] if groups else None)
    return render(
        request,
        "portal/desk_detail.html",
        {"desk": desk, "groups": groups, "selected": selected},
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request, slug, type_key):
    desk = get_object_or_404(desks_for_portal(), slug=slug)
    request_type = get_object_or_404(request_types_for_user(desk=desk, user=request.user), key=type_key)
    form = RequestForm(request.POST or None, request.FILES or None, request_type=request_type, user=request.user)
    if request.method == "POST" and form.is_valid():
        organization, site = form.organization_and_site
        ticket = ticket_submit(
            request_type=request_type,
            requester=request.user,
            values=form.submitted_values(),
            organization=organization,
            site=site,
        )
        messages.success(request, _("Your request %(reference)s was sent.") % {"reference": ticket.reference})
        return redirect("portal:request_detail", reference=ticket.reference)
    status = 400 if form.is_bound else 200
    return render(
        request, "portal/request_create.html", {"desk": desk, "request_type": request_type, "form": form}, status=status
    )


@login_required
def request_list(request):
    scope = request.GET.get("scope", "created")
    if scope not in SCOPES:
        scope = "created"
    tickets = ticket_list_for_customer(user=request.user, scope=scope)
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    counts = {key: capped_count(ticket_list_for_customer(user=request.user, scope=key)) for key in SCOPES}
    return render(
        request,
        "portal/request_list.html",
        {"page": page, "scope": scope, "scopes": [(k, v, counts[k]) for k, v in SCOPES.items()]},
    )


@login_required
def request_detail(request, reference):
    try:
        ticket = ticket_get_visible(user=request.user, reference=reference)
    except Ticket.DoesNotExist:
        raise Http404 from None
    activities = (
        ticket.activities.filter(visibility=Activity.Visibility.PUBLIC)
        .select_related("actor")
        .prefetch_related("attachments")
    )
    participants = ticket.participants.select_related("user")
    return render(
        request,
        "portal/request_detail.html",
        {"ticket": ticket, "activities": activities, "participants": participants},
    )
