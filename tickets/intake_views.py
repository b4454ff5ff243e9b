"""Agent doors for requests taken by phone or e-mail ("New request for a caller"): the form,
and the organisation suggestions it asks for as the agent types."""

from typing import cast

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from accounts.services import user_get_or_create_contact

from .forms import OnBehalfForm, RequestForm, parse_id
from .intake import organization_label, organizations_matching
from .models import RequestType
from .services import TicketError, ticket_submit
from .views import _done, agent_required
from .visibility import agent_desks


@agent_required
@require_http_methods(["GET", "POST"])
def ticket_create_on_behalf(request: HttpRequest) -> HttpResponse:
    """An agent files a request for a caller or an e-mail sender, with the agents' rules: files
    are optional, the caller's organisation and site are the caller's, and the number to call
    back is kept. A caller with no password gets a "set your password" link in the confirmation."""
    agent = cast(User, request.user)  # agent_required: signed in
    types = RequestType.objects.filter(is_active=True, desk__in=agent_desks(user=agent)).select_related("desk", "group")
    type_id = parse_id(request.GET.get("type"))
    request_type = types.filter(pk=type_id).first() if type_id else None
    if request_type is None:
        return render(
            request,
            "agent/create_pick_type.html",
            {"types": types.order_by("desk__position", "group__position", "position")},
        )
    who = OnBehalfForm(request.POST or None, initial={"channel": "phone"})
    form = RequestForm(
        request.POST or None,
        request.FILES or None,
        request_type=request_type,
        user=agent,
        agent=True,
    )
    if request.method == "POST":
        if who.is_valid() and form.is_valid():
            data = who.cleaned_data
            with transaction.atomic():
                requester = user_get_or_create_contact(email=data["requester_email"], full_name=data["requester_name"])
                joining = form.organization_and_site[0] if getattr(form, "joining", None) else None
                try:
                    ticket = ticket_submit(
                        request_type=request_type,
                        requester=requester,
                        values=form.submitted_values(),
                        organization=joining or data["organization"],
                        site=None if joining else data["site"],
                        created_by=agent,
                        channel=data["channel"],
                        contact_phone=data["phone"],
                    )
                except TicketError as error:
                    form.add_error(None, str(error))
                    ticket = None
            if ticket is not None:
                done: HttpResponse = _done(
                    request, ticket, _("Request %(reference)s created.") % {"reference": ticket.reference}
                )
                return done
        form.keep_uploads()
    context = {"request_type": request_type, "who": who, "form": form}
    return render(request, "agent/create.html", context, status=400 if request.method == "POST" else 200)


@agent_required
@require_GET
def organization_lookup(request: HttpRequest) -> HttpResponse:
    """Suggestions for the on-behalf form: organisations by name or provider ID, with their sites."""
    organizations = organizations_matching(query=(request.GET.get("q") or "")[:100])
    return JsonResponse(
        {
            "organizations": [
                {"label": organization_label(o), "sites": [site.name for site in o.sites.all()]} for o in organizations
            ]
        }
    )
